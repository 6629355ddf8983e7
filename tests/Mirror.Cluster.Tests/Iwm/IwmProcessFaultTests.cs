using Mirror.Cluster.Tests.Harness;
using Mirror.Core.Faults;
using Mirror.Core.Layouts;
using static Mirror.Cluster.Tests.Iwm.IwmSupport;

namespace Mirror.Cluster.Tests.Iwm;

/// <summary>
/// IWM under process faults (IWM §2.4): OST, client and MDS kill -9 and an unanswered lock callback, each on
/// its own cluster of real mirrord processes. The MDS runs with a 2 s client lease, a 1.5 s lock callback
/// timeout and a 2 s recovery window (<see cref="IwmMdsOptions"/>).
/// </summary>
public sealed class IwmProcessFaultTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>§2.4.2.1: a secondary's OST dies mid-stream; the writes go on, that mirror is STALE after close (invariants 3, 8).</summary>
    [Fact]
    public async Task A_secondary_OST_killed_mid_write_leaves_that_mirror_stale_and_the_data_on_the_others()
    {
        await using var cluster = await IwmCluster.StartAsync();
        await using var client = await cluster.ConnectAsync();
        const string path = "/ost-kill";
        var model = Data(8 * M, 20);
        await using (var file = await client.CreateAsync(path, ThreeImmediate(), exclusive: true))
        {
            for (var i = 0; i < 8; i++)
            {
                if (i == 3)
                {
                    await file.FsyncAsync();
                    await cluster.Cluster.KillAsync("ost-2"); // mirror 3's only OST
                }

                await file.WriteAsync((ulong)(i * M), model.AsMemory(i * M, M));
            }

            await file.FsyncAsync(); // the application sees no error
        }

        var closed = await cluster.WaitForCloseAsync(client, path);

        Assert.True(closed.Mirror(3)!.IsStale, IwmCluster.Describe(closed));
        Assert.True(closed.Mirror(1)!.IsReadable && closed.Mirror(2)!.IsReadable, IwmCluster.Describe(closed));
        await VerifyPassesAsync(cluster, path, 1, 2);
        Assert.Equal(model, await ReadAllAsync(client, path));

        await cluster.Cluster.StartAsync("ost-2");
        await cluster.WaitForOstsUpAsync();
        await ResyncAndVerifyAllAsync(cluster, client, path);
        Assert.Equal(model, await ReadAllAsync(client, path));
    }

    /// <summary>§2.4.3.1: a writer process killed while it holds the AW lock is evicted after its lease; its secondaries go STALE.</summary>
    [Fact]
    public async Task A_writer_killed_while_holding_the_AW_lock_is_evicted_and_the_secondaries_end_stale()
    {
        await using var cluster = await IwmCluster.StartAsync();
        await using var admin = await cluster.ConnectAsync();
        const string path = "/client-kill";
        await using (var setup = await admin.CreateAsync(path, ThreeImmediate(), exclusive: true))
        {
        }

        await using var writer = StreamingPut.Start(cluster.Cluster, path);
        await Wait.UntilAsync(
            async () => (await cluster.ListEpochsAsync()).Epochs.Any(e => e.WriterClientIds.Count > 0),
            Deadline,
            $"the put process to hold the AW lock of {path} (stderr: {await writer.StderrAsync()})");
        var during = (await admin.GetLayoutAsync(path)).Layout;
        Assert.True(during.Mirror(2)!.IsInflight && during.Mirror(3)!.IsInflight, IwmCluster.Describe(during));
        Assert.True(during.Mirror(1)!.IsReadable, IwmCluster.Describe(during)); // invariant 1

        await writer.KillAsync();

        var closed = await cluster.WaitForCloseAsync(admin, path);
        Assert.True(closed.Mirror(1)!.IsReadable, IwmCluster.Describe(closed));
        Assert.True(closed.Mirror(2)!.IsStale && closed.Mirror(3)!.IsStale, IwmCluster.Describe(closed));
        Assert.Empty((await cluster.ListEpochsAsync()).Epochs);
        await ResyncAndVerifyAllAsync(cluster, admin, path);
    }

    /// <summary>§2.2.5: after an MDS kill -9 the writer reconnects, replays its AW lock, and the epoch closes clean.</summary>
    [Fact]
    public async Task After_an_MDS_kill_the_reconnected_writer_keeps_its_epoch_and_it_closes_clean()
    {
        await using var cluster = await IwmCluster.StartAsync();
        await using var client = await cluster.ConnectAsync(IwmCluster.ClientOptions(idleRelease: TimeSpan.FromSeconds(5)));
        const string path = "/mds-kill";
        var model = Data(2 * M, 21);
        var file = await client.CreateAsync(path, ThreeImmediate(), exclusive: true);
        await file.WriteAsync(0, model.AsMemory(0, M));
        await file.FsyncAsync();
        var clientId = client.Mds.ClientId;
        Assert.Single((await cluster.ListEpochsAsync()).Epochs);

        await cluster.KillMdsAsync();
        await cluster.StartMdsAsync();

        await Wait.UntilAsync(() => client.Lease!.Reconnects >= 1, Deadline, "the writer to reconnect to the restarted MDS");
        Assert.Equal(clientId, client.Mds.ClientId);
        await file.WriteAsync((ulong)M, model.AsMemory(M, M));
        await file.CloseAsync();

        var closed = await cluster.WaitForCloseAsync(client, path);
        Assert.True(closed.Mirrors.All(m => m.IsReadable), IwmCluster.Describe(closed));
        Assert.Equal(FlrState.ReadOnly, closed.State);
        await VerifyPassesAsync(cluster, path);
        Assert.Equal(model, await ReadAllAsync(client, path));
    }

    /// <summary>§2.2.5, invariant 5: MDS kill -9 while a writer that never comes back held the AW lock; no file stays INFLIGHT.</summary>
    [Fact]
    public async Task After_an_MDS_kill_an_epoch_whose_writer_never_reconnects_closes_with_the_secondaries_stale()
    {
        await using var cluster = await IwmCluster.StartAsync();
        const string path = "/mds-kill-lost-writer";
        await using (var admin = await cluster.ConnectAsync())
        {
            await using var setup = await admin.CreateAsync(path, ThreeImmediate(), exclusive: true);
        }

        await using (var writer = StreamingPut.Start(cluster.Cluster, path))
        {
            await Wait.UntilAsync(
                async () => (await cluster.ListEpochsAsync()).Epochs.Any(e => e.WriterClientIds.Count > 0),
                Deadline,
                $"the put process to hold the AW lock of {path}");
            await cluster.KillMdsAsync();
            await writer.KillAsync();
        }

        await cluster.StartMdsAsync();

        await using var reader = await cluster.ConnectAsync();
        var closed = await cluster.WaitForCloseAsync(reader, path);
        Assert.True(closed.Mirror(1)!.IsReadable, IwmCluster.Describe(closed));
        Assert.True(closed.Mirror(2)!.IsStale && closed.Mirror(3)!.IsStale, IwmCluster.Describe(closed));
        await Wait.UntilAsync(async () => !(await cluster.ListEpochsAsync()).Recovering, Deadline, "the MDS to end recovery");
        await ResyncAndVerifyAllAsync(cluster, reader, path);
    }

    /// <summary>§2.2.6: a writer that never answers the blocking callback of a resync is evicted; its secondaries go STALE.</summary>
    [Fact]
    public async Task A_writer_that_never_answers_a_blocking_callback_is_evicted_and_the_secondaries_end_stale()
    {
        await using var cluster = await IwmCluster.StartAsync();
        await using var client = await cluster.ConnectAsync(IwmCluster.ClientOptions(idleRelease: TimeSpan.FromSeconds(20)));
        const string path = "/callback-drop";
        var model = Data(M, 22);
        await using var file = await client.CreateAsync(path, ThreeImmediate(), exclusive: true);
        await file.WriteAsync(0, model);
        await file.FsyncAsync();
        var firstId = client.Mds.ClientId;
        Assert.Single((await cluster.ListEpochsAsync()).Epochs);

        FaultPoints.Set("client.lock.callback", new FaultSpec(FaultAction.Drop));
        try
        {
            // Another process asks for a resync of mirror 2: the MDS must close the epoch first (§2.4.6).
            var resync = await cluster.Cluster.RunCtlAsync("mirror", "resync", "--only", "2", path);
            Assert.True(resync.Exit == 0, $"mirror resync --only 2: {resync}");
        }
        finally
        {
            FaultPoints.Clear("client.lock.callback");
        }

        await Wait.UntilAsync(() => client.Lease!.Reconnects >= 1, Deadline, "the evicted writer to notice and reconnect");
        Assert.NotEqual(firstId, client.Mds.ClientId);
        var closed = await cluster.WaitForCloseAsync(client, path);
        Assert.True(closed.Mirror(1)!.IsReadable && closed.Mirror(2)!.IsReadable, IwmCluster.Describe(closed)); // 2 was resynced
        Assert.True(closed.Mirror(3)!.IsStale, IwmCluster.Describe(closed));
        Assert.Equal(model, await ReadAllAsync(client, path));
        await VerifyPassesAsync(cluster, path, 1, 2);
    }
}
