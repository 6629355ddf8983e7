using System.Text.Json;
using Mirror.Cluster.Tests.Harness;
using Mirror.Posix.Tests.Harness;

namespace Mirror.Posix.Tests.LocalMount;

/// <summary>
/// `mirrorctl local up` (as root, /dev/fuse here) creates the volume `default` and mounts it on
/// DIR/mnt/default; status shows the mount; stop/up unmount and mount it again; `down --purge` unmounts
/// before anything else. mirrorctl takes paths in that mount with no cluster option at all: the token
/// comes from the cluster folder above the mount point.
/// </summary>
public sealed class DefaultMountTests
{
    [Fact]
    public async Task Local_up_mounts_the_default_volume_and_down_unmounts_it()
    {
        var dir = Path.Combine(Path.GetTempPath(), "mirror-local-mount-" + Guid.NewGuid().ToString("N")[..12]);
        var mountpoint = Path.Combine(dir, "mnt", "default");
        try
        {
            var up = await Ctl("local", "up", "--dir", dir, "--osts", "2", "--capacity", "1G");
            Assert.True(up.Exit == 0, up.ToString());
            Assert.Contains($"volume default is mounted on {mountpoint}", up.Stdout);
            var line = MountProcess.MountinfoLine(mountpoint);
            Assert.NotNull(line);
            Assert.Contains(" - fuse.mirror mirror@127.0.0.1:", line);
            Assert.Contains(":/volumes/default ", line);

            var data = new byte[3 * 1024 * 1024 + 17];
            new Random(7).NextBytes(data);
            var file = Path.Combine(mountpoint, "hello.bin");
            await File.WriteAllBytesAsync(file, data);
            Assert.Equal(data, await File.ReadAllBytesAsync(file));

            // No --cluster, no MIRROR_CLUSTER_DIR: the mount names the MDS, the folder above it the token.
            var stripe = await Ctl("getstripe", "--json", file);
            Assert.True(stripe.Exit == 0, stripe.ToString());
            using (var doc = JsonDocument.Parse(stripe.Stdout))
            {
                Assert.Equal(file, doc.RootElement.GetProperty("path").GetString());
                Assert.Equal(2, doc.RootElement.GetProperty("mirror_count").GetInt32());
            }

            var status = await Ctl("local", "status", "--dir", dir, "--json");
            Assert.True(status.Exit == 0, status.ToString());
            string recordedMetrics;
            using (var doc = JsonDocument.Parse(status.Stdout))
            {
                Assert.Equal([mountpoint], doc.RootElement.GetProperty("mountpoints").EnumerateArray().Select(m => m.GetString()));
                var mount = doc.RootElement.GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "mount-default");
                Assert.True(mount.GetProperty("running").GetBoolean());
                Assert.Equal("mount", mount.GetProperty("role").GetString());

                // The mount's /metrics is recorded like every other process's, and serves the FUSE instruments.
                recordedMetrics = mount.GetProperty("metrics").GetString()!;
                var metrics = new Uri(recordedMetrics);
                using var http = new HttpClient();
                Assert.Contains("mirror_fuse_request_seconds_count{op=\"create\"}", await http.GetStringAsync(new Uri(metrics, "metrics")), StringComparison.Ordinal);
            }

            var text = await Ctl("local", "status", "--dir", dir);
            Assert.Contains($"mountpoints: {mountpoint} (mounted)", text.Stdout);

            var stop = await Ctl("local", "stop", "mount-default", "--dir", dir);
            Assert.True(stop.Exit == 0, stop.ToString());
            Assert.Null(MountProcess.MountinfoLine(mountpoint));
            Assert.Equal(3, (await Ctl("local", "status", "--dir", dir)).Exit);

            var again = await Ctl("local", "up", "--dir", dir);
            Assert.True(again.Exit == 0, again.ToString());
            Assert.NotNull(MountProcess.MountinfoLine(mountpoint));
            Assert.Equal(data, await File.ReadAllBytesAsync(file));
            using (var doc = JsonDocument.Parse((await Ctl("local", "status", "--dir", dir, "--json")).Stdout))
            {
                var mount = doc.RootElement.GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "mount-default");
                Assert.Equal(recordedMetrics, mount.GetProperty("metrics").GetString()); // restarted on its recorded port
            }

            var down = await Ctl("local", "down", "--dir", dir, "--purge");
            Assert.True(down.Exit == 0, down.ToString());
            Assert.Null(MountProcess.MountinfoLine(mountpoint));
            Assert.False(Directory.Exists(dir));
        }
        finally
        {
            await CleanUpAsync(dir, mountpoint);
        }
    }

    private static Task<CtlResult> Ctl(params string[] args) => CtlRunner.RunDllAsync("mirrorctl.dll", args, new Dictionary<string, string?>
    {
        ["MIRROR_CLUSTER_DIR"] = null,
        ["MIRROR_MDS"] = null,
        ["MIRROR_TOKEN_FILE"] = null,
    });

    /// <summary>After a failure: down (which unmounts), then detach a leftover mount, then remove the folder.</summary>
    private static async Task CleanUpAsync(string dir, string mountpoint)
    {
        if (!Directory.Exists(dir))
        {
            return;
        }

        await Ctl("local", "down", "--dir", dir);
        if (MountProcess.MountinfoLine(mountpoint) is not null)
        {
            _ = Libc.Umount2(mountpoint, Libc.MntDetach);
        }

        if (MountProcess.MountinfoLine(mountpoint) is null)
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
