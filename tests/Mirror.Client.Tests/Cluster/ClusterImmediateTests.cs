using Mirror.Client.Files;
using Mirror.Client.Locks;
using Mirror.Core.Faults;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;
using static Mirror.Client.Tests.Cluster.ClusterFileTests;

namespace Mirror.Client.Tests.Cluster;

/// <summary>
/// Immediate Write Mirroring end to end: the client against a real MDS (locks, epochs) and real OSTs.
/// In the fault-point collection because "client.ost.write.mirror3" is process-wide.
/// </summary>
[Collection("ClientFaultPoints")]
public class ClusterImmediateTests
{
    private const uint M = 1024 * 1024;

    private static MirrorClientOptions Options => TestCluster.ClientOptions with
    {
        Iwm = new IwmOptions { IdleRelease = TimeSpan.FromMilliseconds(200), SecondaryTimeout = TimeSpan.FromSeconds(2) },
    };

    private static LayoutSpec ThreeImmediate() => Spec(
        (1, M, [0], MirrorFlags.Immediate),
        (1, M, [1], MirrorFlags.Immediate),
        (2, M, [2, 3], MirrorFlags.Immediate));

    /// <summary>Waits until the MDS has no open epoch and the file has no INFLIGHT mirror (the epoch closed).</summary>
    private static async Task<FileLayout> WaitForCloseAsync(MirrorClient client, string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var layout = (await client.GetLayoutAsync(path)).Layout;
            var epochs = await client.Mds.ListEpochsAsync();
            if (epochs.Epochs.Count == 0 && !layout.Mirrors.Any(m => m.IsInflight))
            {
                return layout;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{path}: epoch still open after 20 s (flags {string.Join(",", layout.Mirrors.Select(m => $"{m.Id}:{MirrorFlagNames.Format(m.Flags)}"))})");
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Three_immediate_mirrors_are_identical_after_the_epoch_closes()
    {
        await using var cluster = await TestCluster.StartAsync("", "", "", "");
        await using var client = await cluster.ConnectAsync(Options);
        var data = Data((int)(5 * M + 777), 11);

        await using (var file = await client.CreateAsync("/iwm", ThreeImmediate(), exclusive: true))
        {
            for (var off = 0; off < data.Length; off += (int)M)
            {
                await file.WriteAsync((ulong)off, data.AsMemory(off, Math.Min((int)M, data.Length - off)));
            }

            await file.FsyncAsync();
            Assert.True(file.UsesImmediate);
            var during = (await client.GetLayoutAsync("/iwm")).Layout;
            Assert.Equal(FlrState.WritePending, during.State);
            Assert.Equal(2, during.Mirrors.Count(m => m.IsInflight));
        }

        var closed = await WaitForCloseAsync(client, "/iwm");

        Assert.Equal(FlrState.ReadOnly, closed.State);
        Assert.All(closed.Mirrors, m => Assert.True(m.IsReadable));
        var verify = await client.VerifyAsync("/iwm");
        Assert.True(verify.Identical, verify.Describe());
        await using var again = await client.OpenAsync("/iwm");
        var back = new byte[data.Length];
        Assert.Equal(data.Length, await again.ReadAsync(0, back));
        Assert.Equal(data, back);
    }

    [Fact]
    public async Task A_failing_mirror_is_stale_after_the_close_and_the_application_saw_no_error()
    {
        await using var cluster = await TestCluster.StartAsync("", "", "", "");
        await using var client = await cluster.ConnectAsync(Options);
        var data = Data((int)(3 * M + 5), 12);
        FaultPoints.Set("client.ost.write.mirror3", new FaultSpec(FaultAction.Fail));
        try
        {
            await using (var file = await client.CreateAsync("/iwm", ThreeImmediate(), exclusive: true))
            {
                await file.WriteAsync(0, data);
                await file.FsyncAsync();
            }
        }
        finally
        {
            FaultPoints.Clear("client.ost.write.mirror3");
        }

        var closed = await WaitForCloseAsync(client, "/iwm");

        Assert.True(closed.Mirror(3)!.IsStale);
        Assert.True(closed.Mirror(1)!.IsReadable && closed.Mirror(2)!.IsReadable);
        var verify = await client.VerifyAsync("/iwm");
        Assert.True(verify.Identical, verify.Describe());
        await using var again = await client.OpenAsync("/iwm");
        var back = new byte[data.Length];
        Assert.Equal(data.Length, await again.ReadAsync(0, back));
        Assert.Equal(data, back);
    }

    [Fact]
    public async Task A_failing_primary_restarts_the_write_on_a_clean_primary_and_the_old_one_ends_stale()
    {
        await using var cluster = await TestCluster.StartAsync("", "", "", "");
        await using var client = await cluster.ConnectAsync(Options);
        var data = Data((int)(2 * M + 9), 13);
        FaultPoints.Set("client.ost.write.mirror1", new FaultSpec(FaultAction.Fail));
        try
        {
            await using var file = await client.CreateAsync("/iwm", ThreeImmediate(), exclusive: true);
            await file.WriteAsync(0, data);
            await file.FsyncAsync();
        }
        finally
        {
            FaultPoints.Clear("client.ost.write.mirror1");
        }

        var closed = await WaitForCloseAsync(client, "/iwm");

        Assert.True(closed.Mirror(1)!.IsStale);
        Assert.True(closed.Mirror(2)!.IsReadable && closed.Mirror(3)!.IsReadable);
        var verify = await client.VerifyAsync("/iwm");
        Assert.True(verify.Identical, verify.Describe());
        await using var again = await client.OpenAsync("/iwm");
        var back = new byte[data.Length];
        Assert.Equal(data.Length, await again.ReadAsync(0, back));
        Assert.Equal(data, back);
    }

    [Fact]
    public async Task An_evicted_writer_reconnects_with_its_uuid_and_the_epoch_closes_with_the_secondaries_stale()
    {
        await using var cluster = await TestCluster.StartAsync("", "", "", "");
        await using var client = await cluster.ConnectAsync(Options with { Iwm = new IwmOptions { IdleRelease = TimeSpan.FromSeconds(5) } });
        await using var admin = await cluster.ConnectAsync();
        await using var file = await client.CreateAsync("/iwm", ThreeImmediate(), exclusive: true);
        await file.WriteAsync(0, Data(100_000, 14));
        await file.FsyncAsync();
        var firstId = client.Mds.ClientId;
        Assert.Single(client.Locks!.ActiveWriters);

        await admin.Mds.EvictClientAsync(firstId);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (client.Lease!.Reconnects == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(client.Lease.Reconnects >= 1, "the client noticed its eviction (callbacks stream) and reconnected");
        Assert.NotEqual(firstId, client.Mds.ClientId);
        Assert.Empty(client.Locks.ActiveWriters);
        var closed = await WaitForCloseAsync(admin, "/iwm");
        Assert.True(closed.Mirror(1)!.IsReadable);
        Assert.True(closed.Mirror(2)!.IsStale && closed.Mirror(3)!.IsStale);
        await file.WriteAsync(100_000, Data(10, 15)); // writes go on, under a fresh AW lock
        await file.FsyncAsync();
    }

    [Fact]
    public async Task After_an_MDS_restart_the_writer_reconnects_replays_its_AW_lock_and_the_epoch_closes_clean()
    {
        await using var cluster = await TestCluster.StartAsync("", "", "", "");
        await using var client = await cluster.ConnectAsync(Options with { Iwm = new IwmOptions { IdleRelease = TimeSpan.FromSeconds(3) } });
        var data = Data((int)(M + 3), 16);
        var file = await client.CreateAsync("/iwm", ThreeImmediate(), exclusive: true);
        await file.WriteAsync(0, data);
        await file.FsyncAsync();
        var clientId = client.Mds.ClientId;
        var bootBefore = client.Mds.MdsBootId;

        await cluster.RestartMdsAsync();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (client.Lease!.Reconnects == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(client.Lease.Reconnects >= 1, "the client noticed the restart and reconnected");
        Assert.NotEqual(bootBefore, client.Mds.MdsBootId);
        Assert.Equal(clientId, client.Mds.ClientId); // recognised during recovery
        var epochs = await client.Mds.ListEpochsAsync();
        Assert.Contains(clientId, epochs.Epochs.Single().WriterClientIds); // the replayed AW lock keeps the epoch
        await file.WriteAsync((ulong)data.Length, data);
        await file.CloseAsync();

        var closed = await WaitForCloseAsync(client, "/iwm");
        Assert.All(closed.Mirrors, m => Assert.True(m.IsReadable));
        var verify = await client.VerifyAsync("/iwm");
        Assert.True(verify.Identical, verify.Describe());
    }
}
