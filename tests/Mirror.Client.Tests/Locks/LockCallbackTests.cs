using Mirror.Client.Locks;
using Mirror.Client.Metadata;
using Mirror.Client.Tests.Fakes;
using Mirror.Core.Iwm;
using Mirror.Protocol.Mds;

namespace Mirror.Client.Tests.Locks;

/// <summary>Blocking callbacks (IWM §2.2.6, §2.2.7.2), eviction and MDS restart (§2.4.3, §2.2.5).</summary>
public class LockCallbackTests : IwmTestBase
{
    private static LockCallback Callback(ulong handle, LockBit bit) =>
        new() { LockHandle = handle, Fid = FakeMds.FileFid.ToMsg(), Bits = (uint)bit, BlockingMode = LockMode.Ex };

    [Fact]
    public async Task An_AW_callback_flushes_the_epoch_writes_then_cancels()
    {
        var (client, mds) = await ClientAsync();
        await using var file = await client.OpenAsync("/f");
        var data = Data(5000, 1);
        Osts[2].WriteGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await file.WriteAsync(0, data);
        var aw = client.Locks!.ActiveWriters.Single();

        var callback = client.Locks.HandleCallbackAsync(Callback(aw.Handle, LockBit.ActiveWriters));

        Assert.False(callback.IsCompleted);
        Assert.Empty(mds.AwCancels);
        Assert.True(aw.IsReleasing);
        Osts[2].WriteGate!.SetResult();
        await callback;
        Assert.Equal(aw.Handle, mds.AwCancels.Single().Handle);
        Assert.Equal(data, ObjectBytes(mds.Layout, 3)[..data.Length]);
        Assert.Equal(1, Osts[2].Syncs); // committed before the cancel
        Assert.Empty(client.Locks.ActiveWriters);
    }

    [Fact]
    public async Task A_layout_callback_that_comes_before_its_grant_keeps_the_grant_from_being_cached()
    {
        var (client, mds) = await ClientAsync();
        var next = mds.LastHandle + 1;

        // The MDS called back between the grant and its reply: the client sees the callback first.
        await client.Locks!.HandleCallbackAsync(Callback(next, LockBit.Layout));
        var layout = await client.Locks.LayoutAsync(FakeMds.FileFid);

        var locks = client.Locks.For(FakeMds.FileFid);
        Assert.Equal(mds.Layout.Generation, layout.Generation);
        Assert.Equal(0UL, locks.LayoutHandle); // used once, not cached: its cancel already went
        Assert.Contains(next, mds.OtherCancels);
        await client.Locks.LayoutAsync(FakeMds.FileFid);
        Assert.Equal(next + 1, locks.LayoutHandle);
    }

    [Fact]
    public async Task An_AW_callback_that_comes_before_its_grant_makes_the_writer_enqueue_again()
    {
        var (client, mds) = await ClientAsync();
        await client.Locks!.LayoutAsync(FakeMds.FileFid);
        var revoked = mds.LastHandle + 1;

        await client.Locks.HandleCallbackAsync(Callback(revoked, LockBit.ActiveWriters));
        var aw = await client.Locks.EnterAsync(FakeMds.FileFid);
        aw!.Exit();

        Assert.NotEqual(revoked, aw.Handle);
        Assert.DoesNotContain(revoked, mds.HeldAw); // the grant that came after its callback was cancelled, not used
        Assert.Contains(aw.Handle, mds.HeldAw);
    }

    [Fact]
    public async Task A_layout_callback_drops_the_layout_and_cancels_at_once_without_flushing()
    {
        var (client, mds) = await ClientAsync();
        await using var file = await client.OpenAsync("/f");
        Osts[2].WriteGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await file.WriteAsync(0, Data(5000, 2));
        var locks = client.Locks!.For(FakeMds.FileFid);
        var layoutHandle = locks.LayoutHandle;

        await client.Locks.HandleCallbackAsync(Callback(layoutHandle, LockBit.Layout));

        Assert.Equal(0UL, locks.LayoutHandle);
        Assert.Contains(layoutHandle, mds.OtherCancels);
        Assert.Equal(0, Osts[2].Writes); // the write is still blocked: nothing was flushed
        var aw = client.Locks.ActiveWriters.Single();
        Assert.False(aw.IsReleasing); // the epoch spans layout changes
        Osts[2].WriteGate!.SetResult();
        await file.WriteAsync(10_000, Data(10, 3));
        await file.FsyncAsync();
        Assert.NotEqual(0UL, locks.LayoutHandle); // IO restarted from the layout lock
        Assert.Same(aw, client.Locks.ActiveWriters.Single());
    }

    [Fact]
    public async Task A_callback_for_a_lock_no_longer_held_is_answered_with_a_cancel()
    {
        var (client, mds) = await ClientAsync();

        await client.Locks!.HandleCallbackAsync(Callback(77, LockBit.ActiveWriters));

        Assert.Empty(mds.AwCancels);
        Assert.Contains(77UL, mds.OtherCancels);
    }

    [Fact]
    public async Task Eviction_drops_every_lock_and_reconnects_with_the_same_uuid()
    {
        var (client, mds) = await ClientAsync();
        await using var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, Data(1000, 4));
        await file.FsyncAsync();
        await using var keeper = new LeaseKeeper(client.Mds, client.Locks!);
        mds.EvictOnPing = true;

        Assert.True(await keeper.PingOnceAsync());

        mds.EvictOnPing = false;
        Assert.Empty(client.Locks!.ActiveWriters);
        Assert.Empty(mds.AwCancels); // an evicted client cannot cancel
        Assert.Equal(2, mds.ConnectUuids.Count);
        Assert.Equal(mds.ConnectUuids[0], mds.ConnectUuids[1]);
        Assert.Equal(2UL, client.Mds.ClientId);
        await file.WriteAsync(1000, Data(1000, 5));
        await file.FsyncAsync();
        Assert.Equal(2, mds.Enqueues.Count(e => e.Bits == LockBit.ActiveWriters));
    }

    [Fact]
    public async Task An_ESTALE_evicted_lock_call_reconnects_with_the_same_uuid_and_retries()
    {
        var (client, mds) = await ClientAsync();
        await using var keeper = new LeaseKeeper(client.Mds, client.Locks!);
        await using var file = await client.OpenAsync("/f");
        mds.EvictOnNextEnqueue = true;

        await file.WriteAsync(0, Data(1000, 9));
        await file.FsyncAsync();

        Assert.Equal(2, mds.ConnectUuids.Count);
        Assert.Equal(mds.ConnectUuids[0], mds.ConnectUuids[1]);
        Assert.Single(client.Locks!.ActiveWriters);
        Assert.Equal(1, keeper.Reconnects);
    }

    [Fact]
    public async Task Writes_in_flight_under_a_lost_lock_succeed_when_the_primary_got_them()
    {
        var (client, mds) = await ClientAsync();
        await using var file = await client.OpenAsync("/f");
        var data = Data(5000, 8);
        Osts[1].WriteGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await file.WriteAsync(0, data);
        await using var keeper = new LeaseKeeper(client.Mds, client.Locks!);
        mds.EvictOnPing = true;

        await keeper.PingOnceAsync();
        mds.EvictOnPing = false;
        Osts[1].WriteGate!.SetResult();
        await file.FsyncAsync();

        Assert.Empty(client.Locks!.ActiveWriters);
        Assert.Empty(mds.AwCancels);
        Assert.Equal(data, ObjectBytes(mds.Layout, 1)[..data.Length]);
    }

    [Fact]
    public async Task After_an_MDS_restart_held_locks_are_replayed_with_their_error_reports()
    {
        var (client, mds) = await ClientAsync();
        Osts[1].Fault = new Core.Errors.MirrorException(Core.Errors.Errno.EIO, "OST1 gone");
        await using var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, Data(1000, 6));
        await file.FsyncAsync();
        await using var keeper = new LeaseKeeper(client.Mds, client.Locks!);
        var aw = client.Locks!.ActiveWriters.Single();
        mds.BootId = "boot-2";
        mds.ReconnectAsKnown = true;

        await keeper.PingOnceAsync();

        var replayedAw = mds.Replayed.Single(l => l.Bits == (uint)LockBit.ActiveWriters);
        Assert.Equal(new[] { 1 }, MirrorErrorReport.Decode(replayedAw.Lvb.Span).ErroredPositions);
        Assert.Contains(mds.Replayed, l => l.Bits == (uint)LockBit.Layout && l.Mode == LockMode.Cr);
        Assert.Same(aw, client.Locks.ActiveWriters.Single());
        Assert.Contains(aw.Handle, mds.HeldAw); // the new handle from the replay
        Assert.Equal("boot-2", client.Mds.MdsBootId);
    }

    [Fact]
    public async Task An_MDS_without_the_IWM_calls_stops_the_lease_keeper_and_files_write_delayed()
    {
        var mds = new FakeMds(ThreeImmediate()); // no lock calls: UNIMPLEMENTED
        var client = await Mirror.Client.Files.MirrorClient.CreateAsync(new MdsClient(mds.Rpc), Osts, new Mirror.Client.Files.MirrorClientOptions { KeepLease = false });
        await using var keeper = new LeaseKeeper(client.Mds, client.Locks!);
        await using var file = await client.OpenAsync("/f");

        Assert.False(await keeper.PingOnceAsync());
        await file.WriteAsync(0, Data(1000, 7));
        await file.FsyncAsync();

        Assert.Equal(new[] { LayoutIntentOp.IntentWrite }, mds.Intents);
        Assert.False(file.UsesImmediate);
    }
}
