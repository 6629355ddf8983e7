using Mirror.Core.Layouts;
using Mirror.Mds.Locks;
using Mirror.Protocol.Mds;
using ProtoLockMode = Mirror.Protocol.Mds.LockMode;

namespace Mirror.Mds.Tests;

public sealed class EpochRecoveryTests
{
    [Fact]
    public async Task Restart_with_no_client_coming_back_closes_the_epoch_after_the_window_with_secondaries_stale()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 3);
        var client = await mds.ConnectAsync("gone");
        var old = await mds.AwAsync(client, fid);

        await mds.ReopenAsync();

        var listed = await mds.Service.ListEpochs(new Protocol.Empty());
        Assert.True(listed.Recovering);
        Assert.Equal(old.EpochId, Assert.Single(listed.Epochs).EpochId);
        Assert.True(mds.Layout(fid).Mirror(2)!.IsInflight);
        var fresh = await mds.ConnectAsync("fresh");
        var waiting = mds.AwAsync(fresh, fid);
        await mds.Core.HousekeepOnceAsync();
        Assert.False(waiting.IsCompleted);

        mds.Clock.Advance(TimeSpan.FromSeconds(16));
        await TestMds.WaitForAsync(() => mds.Core.Epochs.RecoveryDone.IsCompleted, "the end of recovery");

        var changelog = await mds.ChangelogAsync();
        var closed = changelog.Last(r => r.Type == ChangelogType.ClMirrorStale);
        Assert.Equal([2u, 3u], closed.MirrorIds);
        Assert.Contains("closed evicted", closed.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(mds.Core.Model.Database.LoadClients(), c => c.Uuid == "gone");

        // Only then does the new writer get its AW lock: a fresh epoch, with no in-sync secondary to mark INFLIGHT.
        var grant = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(grant.EpochId > old.EpochId);
        Assert.True(mds.Layout(fid).NoInflight());
    }

    [Fact]
    public async Task Restart_with_the_writer_reconnecting_and_replaying_continues_the_epoch_and_closes_clean_later()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 2);
        var client = await mds.ConnectAsync("writer");
        var before = await mds.AwAsync(client, fid);

        await mds.ReopenAsync();
        var connect = await mds.Service.Connect(new ConnectRequest { ClientUuid = "writer", IwmAware = true });
        Assert.True(connect.Reconnected);
        Assert.True(connect.Recovering);
        Assert.Equal(client, connect.ClientId);
        var replay = new LockReplayRequest { ClientId = client };
        replay.Locks.Add(new HeldLock { Fid = fid, Bits = (uint)LockBits.ActiveWriters, Mode = ProtoLockMode.Cw });
        var handles = await mds.Service.LockReplay(replay);

        await TestMds.WaitForAsync(() => mds.Core.Epochs.RecoveryDone.IsCompleted, "recovery ending once the only client replayed");
        Assert.True(mds.EpochOpen(fid));
        Assert.Equal(before.EpochId, mds.Core.Epochs.Find(Service.ProtoConvert.Fid(fid))!.EpochId);
        Assert.True(mds.Layout(fid).Mirror(2)!.IsInflight);

        await mds.CancelAsync(client, Assert.Single(handles.LockHandles));

        var layout = mds.Layout(fid);
        Assert.Equal(FlrState.ReadOnly, layout.State);
        Assert.All(layout.Mirrors, m => Assert.Equal(MirrorFlags.Immediate, m.Flags));
        Assert.False(mds.EpochOpen(fid));
    }

    [Fact]
    public async Task Errors_persisted_before_a_restart_are_applied_when_the_epoch_closes_after_it()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 3);
        var a = await mds.ConnectAsync("a");
        var b = await mds.ConnectAsync("b");
        var awA = await mds.AwAsync(a, fid);
        await mds.AwAsync(b, fid);

        // a reports mirror position 1 and goes; b is asked to flush but the MDS dies before b answers.
        await mds.CancelAsync(a, awA.LockHandle, 1);
        await mds.NextCallbackAsync(b);
        Assert.Equal((ushort)0b10, mds.Core.Model.Database.LoadEpochs().Single().ErrorMask);
        await mds.ReopenAsync();

        await mds.Service.Connect(new ConnectRequest { ClientUuid = "a", IwmAware = true });
        await mds.Service.Connect(new ConnectRequest { ClientUuid = "b", IwmAware = true });
        await mds.Service.LockReplay(new LockReplayRequest { ClientId = a });
        var replay = new LockReplayRequest { ClientId = b };
        replay.Locks.Add(new HeldLock { Fid = fid, Bits = (uint)LockBits.ActiveWriters, Mode = ProtoLockMode.Cw });
        await mds.Service.LockReplay(replay);

        // The persisted error still forces the close: b is called back again, flushes and cancels clean.
        await mds.AnswerCallbacksAsync(b, 1);
        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "the close after recovery");

        var layout = mds.Layout(fid);
        Assert.True(layout.Mirror(1)!.IsReadable);
        Assert.True(layout.Mirror(2)!.IsStale);
        Assert.Equal(MirrorFlags.Immediate, layout.Mirror(3)!.Flags);
        Assert.True(layout.NoInflight());
    }

    [Fact]
    public async Task A_missing_client_closes_even_epochs_whose_writers_replayed()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 2);
        var back = await mds.ConnectAsync("back");
        await mds.ConnectAsync("lost");
        await mds.AwAsync(back, fid);

        await mds.ReopenAsync();
        await mds.Service.Connect(new ConnectRequest { ClientUuid = "back", IwmAware = true });
        var replay = new LockReplayRequest { ClientId = back };
        replay.Locks.Add(new HeldLock { Fid = fid, Bits = (uint)LockBits.ActiveWriters, Mode = ProtoLockMode.Cw });
        await mds.Service.LockReplay(replay);
        Assert.False(mds.Core.Epochs.RecoveryDone.IsCompleted);

        mds.Clock.Advance(TimeSpan.FromSeconds(16));
        await mds.AnswerCallbacksAsync(back, 1);
        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "the conservative close");

        Assert.True(mds.Layout(fid).Mirror(2)!.IsStale);
        Assert.True(mds.Layout(fid).NoInflight());
    }
}
