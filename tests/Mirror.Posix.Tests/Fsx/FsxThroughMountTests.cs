using System.Text.Json;
using Mirror.Client.Files;
using Mirror.Cluster.Tests.Harness;
using Mirror.Core.Layouts;
using Mirror.Fsx;
using Mirror.Posix.Tests.Harness;
using Mirror.Protocol.Mds;
using Xunit.Abstractions;

namespace Mirror.Posix.Tests.Fsx;

/// <summary>
/// The fsx-style checker through a real mount of a volume whose files get two IMMEDIATE mirrors: every
/// read through the kernel, the FUSE bridge and the IWM fan-out matches the model, and afterwards the
/// two mirrors hold the same bytes (`mirror verify`), asked with the path inside the mount.
/// </summary>
public sealed class FsxThroughMountTests(ITestOutputHelper output)
{
    private const string Volume = "fsx";
    private static readonly TimeSpan RunDeadline = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan SettleDeadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Fsx_through_a_mount_of_a_two_immediate_mirror_volume_matches_its_model_and_the_mirrors_verify()
    {
        await using var cluster = await LocalCluster.StartAsync(osts: 2);
        await using (var client = await MirrorClient.ConnectAsync(cluster.MdsAddress, cluster.Token))
        {
            await client.Mds.CreateVolumeAsync(Volume, 1UL << 30, "fsx-test", TwoImmediateMirrors());
        }

        await using var mount = await MountProcess.StartAsync(cluster, $"/volumes/{Volume}");
        var path = mount["fsx-file"];

        var options = new FsxOptions(FsxOptions.SeedFromEnvironment(), Operations: 2000, MaxFileSize: 512 * 1024, MaxOpLength: 128 * 1024);
        var result = await Task.Run(() =>
        {
            using var file = PosixFile.Create(path);
            return new FsxRunner(options).Run(file);
        }).WaitAsync(RunDeadline);
        output.WriteLine(result.Report);
        Assert.True(result.Passed, $"{result.Report}\nmount log:\n{mount.Log}");

        // mirrorctl with paths inside the mount: the MDS from the mount source, the token from the cluster folder.
        // The kernel sends RELEASE after close(2) returns, and the write epoch closes after that: wait for
        // the file to be back in RDONLY (both mirrors in sync) before comparing them.
        CtlResult stripe = null!;
        await Wait.UntilAsync(
            async () =>
            {
                stripe = await cluster.RunCtlAsync("getstripe", "--json", path);
                Assert.True(stripe.Exit == 0, $"getstripe --json {path}: {stripe}");
                using var state = JsonDocument.Parse(stripe.Stdout);
                return state.RootElement.GetProperty("flr_state").GetString() == "ro";
            },
            SettleDeadline,
            $"{path} to return to FLR state ro after its last close");
        using (var doc = JsonDocument.Parse(stripe.Stdout))
        {
            var layout = doc.RootElement;
            Assert.Equal(path, layout.GetProperty("path").GetString());
            var mirrors = layout.GetProperty("mirrors").EnumerateArray().ToList();
            Assert.Equal(2, mirrors.Count);
            Assert.All(mirrors, m =>
            {
                var flags = m.GetProperty("flags").EnumerateArray().Select(f => f.GetString()).ToList();
                Assert.Contains("immediate", flags);
                Assert.DoesNotContain("stale", flags);
            });
        }

        var verify = await cluster.RunCtlAsync("mirror", "verify", "-v", path);
        Assert.True(verify.Exit == 0, $"mirror verify {path}: {verify}");
        Assert.Contains($"{path}: mirrors 1,2 are identical", verify.Stdout);

        var find = await cluster.RunCtlAsync("find", "--mirror-count", "+1", "--type", "f", mount.Mountpoint);
        Assert.True(find.Exit == 0, $"find: {find}");
        Assert.Equal([path], find.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static LayoutSpec TwoImmediateMirrors()
    {
        var spec = new LayoutSpec();
        for (var i = 0; i < 2; i++)
        {
            var mirror = new MirrorSpec { Flags = (uint)MirrorFlags.Immediate };
            mirror.Components.Add(new ComponentSpec { End = ulong.MaxValue, StripeCount = 1 });
            spec.Mirrors.Add(mirror);
        }

        return spec;
    }
}
