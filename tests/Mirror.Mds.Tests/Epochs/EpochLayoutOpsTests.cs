using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;

namespace Mirror.Mds.Tests;

public sealed class EpochLayoutOpsTests
{
    [Fact]
    public async Task Non_iwm_write_intent_during_an_epoch_closes_it_first_then_stales_the_secondaries()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 3);
        var writer = await mds.ConnectAsync("iwm");
        var old = await mds.ConnectAsync("old", iwmAware: false);
        await mds.LayoutLockAsync(writer, fid);
        await mds.AwAsync(writer, fid);

        var intent = mds.LayoutLockAsync(old, fid, LayoutIntentOp.IntentWrite);
        Assert.False(intent.IsCompleted);

        // The IWM writer drops its layout (LAYOUT callback) and flushes and cancels its AW lock (AW callback).
        await mds.AnswerCallbacksAsync(writer, 2);
        var reply = await intent.WaitAsync(TimeSpan.FromSeconds(10));

        var layout = mds.Layout(fid);
        Assert.False(mds.EpochOpen(fid));
        Assert.True(layout.NoInflight());
        Assert.Equal(FlrState.WritePending, layout.State);
        Assert.True(layout.Mirror(1)!.IsReadable);
        Assert.True(layout.Mirror(2)!.IsStale);
        Assert.True(layout.Mirror(3)!.IsStale);
        Assert.Equal(layout.Generation, reply.Layout.Generation);
        var types = (await mds.ChangelogAsync()).Select(r => r.Type).ToList();
        Assert.True(types.LastIndexOf(ChangelogType.ClLayout) < types.LastIndexOf(ChangelogType.ClFlrw), "the epoch closed before the write intent");
    }

    [Fact]
    public async Task Iwm_write_intent_on_an_iwm_file_changes_nothing_until_aw()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 2);
        var writer = await mds.ConnectAsync("iwm");

        var reply = await mds.LayoutLockAsync(writer, fid, LayoutIntentOp.IntentWrite);

        Assert.Equal(1u, reply.Layout.Generation);
        Assert.Equal(FlrState.ReadOnly, mds.Layout(fid).State);
    }

    [Fact]
    public async Task Layout_intent_write_rpc_folds_up_an_open_epoch()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 2);
        var writer = await mds.ConnectAsync("iwm");
        await mds.AwAsync(writer, fid);

        var intent = mds.Service.LayoutIntent(new LayoutIntentRequest { Fid = fid, Op = LayoutIntentOp.IntentWrite });
        await mds.AnswerCallbacksAsync(writer, 1);
        await intent.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(mds.EpochOpen(fid));
        Assert.True(mds.Layout(fid).NoInflight());
        Assert.True(mds.Layout(fid).Mirror(2)!.IsStale);
    }

    [Fact]
    public async Task Resync_during_an_epoch_closes_it_first()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 2, delayed: 1);
        var writer = await mds.ConnectAsync("iwm");
        await mds.AwAsync(writer, fid);
        Assert.True(mds.Layout(fid).Mirror(3)!.IsStale);

        var resync = mds.Service.LayoutIntent(new LayoutIntentRequest { Fid = fid, Op = LayoutIntentOp.IntentResync });
        Assert.False(resync.IsCompleted);
        await mds.AnswerCallbacksAsync(writer, 1);
        await resync.WaitAsync(TimeSpan.FromSeconds(10));

        var layout = mds.Layout(fid);
        Assert.False(mds.EpochOpen(fid));
        Assert.True(layout.NoInflight());
        Assert.Equal(FlrState.SyncPending, layout.State);
        Assert.True(layout.Mirror(2)!.IsReadable);
    }

    [Fact]
    public async Task Generation_strictly_increases_and_flag_only_changes_carry_state_only_change()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 3);
        var writer = await mds.ConnectAsync("iwm");
        var seen = new List<(uint Generation, bool StateOnly, string What)> { (mds.Layout(fid).Generation, mds.Layout(fid).StateOnlyChange, "create") };
        void Record(string what) => seen.Add((mds.Layout(fid).Generation, mds.Layout(fid).StateOnlyChange, what));

        var aw = await mds.AwAsync(writer, fid);
        Record("open");
        await mds.CancelAsync(writer, aw.LockHandle);
        Record("close");
        await mds.Service.SetMirrorFlags(new SetMirrorFlagsRequest { Fid = fid, MirrorId = 2, SetFlags = (uint)MirrorFlags.Prefer });
        Record("prefer");
        await mds.Service.SetMirrorFlags(new SetMirrorFlagsRequest { Fid = fid, MirrorId = 3, ClearFlags = (uint)MirrorFlags.Immediate });
        Record("clear immediate");
        await mds.Service.MirrorExtend(new MirrorExtendRequest { Fid = fid, Mirrors = TestMds.Spec(TestMds.MirrorOf(MirrorFlags.Immediate, TestMds.Comp())) });
        Record("extend");

        for (var i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i].Generation == seen[i - 1].Generation + 1, $"{seen[i].What}: generation {seen[i].Generation} after {seen[i - 1].Generation}");
        }

        Assert.Equal([false, true, true, true, true, false], seen.Select(s => s.StateOnly));
        Assert.Equal(MirrorFlags.Immediate | MirrorFlags.Stale, mds.Layout(fid).Mirror(4)!.Flags);
        Assert.Equal(MirrorFlags.Immediate | MirrorFlags.Prefer, mds.Layout(fid).Mirror(2)!.Flags);
        Assert.Equal(MirrorFlags.None, mds.Layout(fid).Mirror(3)!.Flags);
    }

    [Fact]
    public async Task Set_mirror_flags_refuses_inflight_and_stale_and_unknown_mirrors()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 2);

        foreach (var flag in new[] { MirrorFlags.Inflight, MirrorFlags.Stale })
        {
            await TestMds.Fails(Errno.EINVAL, () => mds.Service.SetMirrorFlags(new SetMirrorFlagsRequest { Fid = fid, MirrorId = 1, SetFlags = (uint)flag }));
            await TestMds.Fails(Errno.EINVAL, () => mds.Service.SetMirrorFlags(new SetMirrorFlagsRequest { Fid = fid, MirrorId = 1, ClearFlags = (uint)flag }));
        }

        await TestMds.Fails(Errno.EINVAL, () => mds.Service.SetMirrorFlags(new SetMirrorFlagsRequest { Fid = fid, MirrorId = 9, SetFlags = (uint)MirrorFlags.Prefer }));
        Assert.Equal(1u, mds.Layout(fid).Generation);
    }

    [Fact]
    public async Task Clearing_immediate_during_an_epoch_closes_it_first()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 2);
        var writer = await mds.ConnectAsync("iwm");
        await mds.AwAsync(writer, fid);

        var change = mds.Service.SetMirrorFlags(new SetMirrorFlagsRequest { Fid = fid, MirrorId = 2, ClearFlags = (uint)MirrorFlags.Immediate });
        await mds.AnswerCallbacksAsync(writer, 1);
        await change.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(mds.EpochOpen(fid));
        Assert.Equal(MirrorFlags.None, mds.Layout(fid).Mirror(2)!.Flags);
        Assert.Equal(FlrState.ReadOnly, mds.Layout(fid).State);
    }

    [Fact]
    public async Task Immediate_flag_from_create_is_kept_across_a_restart()
    {
        await using var mds = await IwmBed.StartAsync();
        var created = await mds.CreateAsync("f", TestMds.Spec(TestMds.MirrorOf(MirrorFlags.Immediate | MirrorFlags.Prefer, TestMds.Comp()), TestMds.MirrorOf(MirrorFlags.Immediate, TestMds.Comp())));
        Assert.Equal((uint)(MirrorFlags.Immediate | MirrorFlags.Prefer), created.Layout.Mirrors[0].Flags);

        await mds.ReopenAsync();

        Assert.Equal([MirrorFlags.Immediate | MirrorFlags.Prefer, MirrorFlags.Immediate], mds.Layout(created.Attr.Fid).Mirrors.Select(m => m.Flags));
    }

    [Fact]
    public async Task Mirror_extend_and_split_during_an_epoch_close_it_first()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 3);
        var writer = await mds.ConnectAsync("iwm");
        await mds.AwAsync(writer, fid);

        var extend = mds.Service.MirrorExtend(new MirrorExtendRequest { Fid = fid, Mirrors = TestMds.Spec(TestMds.MirrorOf(TestMds.Comp())) });
        Assert.False(extend.IsCompleted);
        await mds.AnswerCallbacksAsync(writer, 1);
        var extended = await extend.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(mds.EpochOpen(fid));
        Assert.False(extended.Layout.StateOnlyChange);
        Assert.True(mds.Layout(fid).NoInflight());

        await mds.AwAsync(writer, fid);
        var split = mds.Service.MirrorSplit(new MirrorSplitRequest { Fid = fid, MirrorId = 4, Destroy = true });
        await mds.AnswerCallbacksAsync(writer, 1);
        await split.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(mds.EpochOpen(fid));
        Assert.Equal([1, 2, 3], mds.Layout(fid).Mirrors.Select(m => (int)m.Id));
        Assert.True(mds.Layout(fid).NoInflight());
    }
}
