using System.Text.Json;
using Mirror.Cluster.Tests.Harness;
using Mirror.Posix.Tests.Harness;

namespace Mirror.Posix.Tests;

/// <summary>
/// Immediate Write Mirroring under a FUSE mount: the mount's client does the fan-out, so an OST killed -9
/// in the middle of a copy costs the application nothing; the mirror on that OST ends STALE (IWM §2.4.2.1).
/// </summary>
public sealed class IwmThroughMountTests
{
    private const int M = 1024 * 1024;
    private static readonly TimeSpan StaleDeadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task An_OST_killed_during_a_copy_through_the_mount_leaves_the_copy_whole_and_that_mirror_stale()
    {
        await using var cluster = await LocalCluster.StartAsync(osts: 3);
        await using var mount = await MountProcess.StartAsync(cluster);
        const string name = "iwm-copy";
        var create = await cluster.RunCtlAsync("mirror", "create", "-N", "-c", "1", "-o", "0", "--flags=immediate", "-N", "-c", "1", "-o", "1", "--flags=immediate", "/" + name);
        Assert.True(create.Exit == 0, $"mirror create: {create}");
        var data = new byte[32 * M];
        new Random(42).NextBytes(data);

        using (var copy = new FileStream(mount[name], FileMode.Open, FileAccess.Write))
        {
            copy.Write(data, 0, 8 * M);
            copy.Flush(flushToDisk: true);
            await cluster.KillAsync("ost-1"); // mirror 2's only OST, mid-copy
            for (var at = 8 * M; at < data.Length; at += M)
            {
                copy.Write(data, at, M);
            }

            copy.Flush(flushToDisk: true);
        }

        await Wait.UntilAsync(async () => (await MirrorFlagsAsync(cluster, name, 2)).Contains("stale"), StaleDeadline, "mirror 2 to be STALE in getstripe --json");
        Assert.DoesNotContain("stale", await MirrorFlagsAsync(cluster, name, 1));
        Assert.Equal(data.Length, new FileInfo(mount[name]).Length);
        Assert.Equal(data, await File.ReadAllBytesAsync(mount[name]));
    }

    private static async Task<string[]> MirrorFlagsAsync(LocalCluster cluster, string name, int id)
    {
        var result = await cluster.RunCtlAsync("getstripe", "--json", "/" + name);
        Assert.True(result.Exit == 0, $"getstripe --json: {result}");
        using var doc = JsonDocument.Parse(result.Stdout);
        var mirror = doc.RootElement.GetProperty("mirrors").EnumerateArray().Single(m => m.GetProperty("mirror_id").GetInt32() == id);
        return [.. mirror.GetProperty("flags").EnumerateArray().Select(f => f.GetString()!)];
    }
}
