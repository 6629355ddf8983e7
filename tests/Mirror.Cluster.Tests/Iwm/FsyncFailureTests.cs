using Mirror.Cluster.Tests.Harness;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using static Mirror.Cluster.Tests.Iwm.IwmSupport;

namespace Mirror.Cluster.Tests.Iwm;

/// <summary>
/// fsync when an OST dies holding acknowledged but uncommitted writes (IWM §2.2.2, §2.3.3, §2.4.4): for an IWM
/// file it is a mirror failure (the primary's included) that fsync reports to the MDS and survives on the
/// mirrors that committed everything; for a delayed-write FLR file it is the application's EIO. The OST's
/// commit thread is held back with the "ost.commit" fault point so the writes are surely uncommitted.
/// </summary>
public sealed class FsyncFailureTests
{
    /// <summary>§2.4.4: the primary's OST is killed -9 after acknowledging writes; fsync succeeds, the primary ends STALE.</summary>
    [Fact]
    public async Task A_primary_OST_killed_before_commit_is_a_mirror_failure_and_fsync_succeeds_on_the_secondaries()
    {
        await using var cluster = await IwmCluster.StartAsync();
        await using var client = await cluster.ConnectAsync(IwmCluster.ClientOptions(idleRelease: TimeSpan.FromSeconds(20)));
        const string path = "/primary-dies-before-commit";
        var committed = Data(M, 31);
        var acknowledged = Data(M + 7, 32);
        await using (var file = await client.CreateAsync(path, ThreeImmediate(), exclusive: true))
        {
            await file.WriteAsync(0, committed);
            await file.FsyncAsync();

            await cluster.SetOstFaultAsync(0, "ost.commit", "fail"); // mirror 1 (the primary) on OST 0 commits nothing from here
            await file.WriteAsync((ulong)M, acknowledged);
            await file.ReadAsync((ulong)M, new byte[1]); // waits for the overlapping write: every mirror acknowledged it
            await cluster.Cluster.KillAsync("ost-0");

            await file.FsyncAsync(); // mirrors 2 and 3 committed everything: no error reaches the application
        }

        var closed = await cluster.WaitForCloseAsync(client, path);

        Assert.True(closed.Mirror(1)!.IsStale, IwmCluster.Describe(closed));
        Assert.True(closed.Mirror(2)!.IsReadable && closed.Mirror(3)!.IsReadable, IwmCluster.Describe(closed));
        var expected = committed.Concat(acknowledged).ToArray();
        Assert.Equal(expected, await ReadAllAsync(client, path));
        await VerifyPassesAsync(cluster, path, 2, 3);

        await cluster.Cluster.StartAsync("ost-0");
        await cluster.WaitForOstsUpAsync();
        await ResyncAndVerifyAllAsync(cluster, client, path);
        Assert.Equal(expected, await ReadAllAsync(client, path));
    }

    /// <summary>Delayed-write FLR has one target: an OST that restarted and lost acknowledged writes makes fsync fail (EIO), never succeed silently.</summary>
    [Fact]
    public async Task A_single_mirror_file_whose_OST_lost_acknowledged_writes_gets_EIO_from_fsync()
    {
        await using var cluster = await IwmCluster.StartAsync();
        await using var client = await cluster.ConnectAsync();
        const string path = "/plain-ost-restart";
        var file = await client.CreateAsync(path, Spec((1, (uint)M, [1], "", MirrorFlags.None)), exclusive: true);
        await file.WriteAsync(0, Data(M, 33));
        await file.FsyncAsync();

        await cluster.SetOstFaultAsync(1, "ost.commit", "fail");
        await file.WriteAsync((ulong)M, Data(M, 34));
        await file.ReadAsync((ulong)M, new byte[1]); // waits for the overlapping write: the OST acknowledged it
        await cluster.Cluster.KillAsync("ost-1");
        await cluster.Cluster.StartAsync("ost-1");
        await cluster.WaitForOstsUpAsync();

        var e = await Assert.ThrowsAsync<MirrorException>(() => file.FsyncAsync());
        Assert.Equal(Errno.EIO, e.Errno);
        var again = await Assert.ThrowsAsync<MirrorException>(() => file.FsyncAsync()); // reported until the handle is closed
        Assert.Equal(Errno.EIO, again.Errno);
        var atClose = await Assert.ThrowsAsync<MirrorException>(() => file.CloseAsync());
        Assert.Equal(Errno.EIO, atClose.Errno);
    }
}
