using Mirror.Client.Locks;
using Mirror.Client.Mirrors;
using Mirror.Client.Tests.Fakes;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using static Mirror.Client.Tests.Fakes.Layouts;
using MirrorErrorReport = Mirror.Core.Iwm.MirrorErrorReport;

namespace Mirror.Client.Tests.Locks;

public class ActiveWriterLockTests : IwmTestBase
{
    [Fact]
    public void The_LVB_names_mirror_positions_in_the_layout_and_the_failed_stripes()
    {
        // Ids differ from positions: position 0 = id 5, 1 = id 2, 2 = id 9 (two components, 1 + 2 stripes).
        var layout = Of(
            Immediate(5, 0),
            Immediate(2, 1, 2),
            Layouts.Mirror(9, MirrorFlags.Immediate, Component(0, M1, K64, 3), Component(M1, LayoutComponent.EndOfFile, K64, 4, 5)));
        var aw = new ActiveWriterLock(new FileLocks(FakeMds.FileFid) { Layout = layout }, 1, 1);

        aw.RecordError(layout.Mirror(9)!, [2]);
        aw.RecordError(layout.Mirror(2)!, [0, 1]);
        var report = MirrorErrorReport.Decode(aw.BuildReport(layout).Encode());

        Assert.Equal(new[] { 1, 2 }, report.ErroredPositions);
        Assert.Equal(new[] { 0, 1 }, report.ErroredStripes(1));
        Assert.Equal(new[] { 2 }, report.ErroredStripes(2));
        Assert.Equal(0b110, report.MirrorMask);
    }

    [Fact]
    public void Fan_out_results_record_secondary_failures_with_their_stripes()
    {
        var layout = Of(Immediate(1, 0), Immediate(2, 1, 2));
        var aw = new ActiveWriterLock(new FileLocks(FakeMds.FileFid) { Layout = layout }, 1, 1);
        var targets = WriteTargets.ForImmediate(layout);
        var result = new ImmediateResult { Targets = targets };
        result.Secondaries.Add(new ImmediateFailure(layout.Mirror(2)!, new MirrorError(2, Errno.EIO, "x"), [1]));
        result.MirrorsByOst[0] = [1];
        result.MirrorsByOst[2] = [2];

        var osts = new Dictionary<int, FakeOst> { [0] = new FakeOst(0), [2] = new FakeOst(2) };
        aw.Record(result, ost => osts[ost]);

        var report = aw.BuildReport(layout);
        Assert.Equal(new[] { 1 }, report.ErroredPositions);
        Assert.Equal(new[] { 1 }, report.ErroredStripes(1));
        Assert.Equal(new[] { (0, new ushort[] { 1 }), (2, new ushort[] { 2 }) }, aw.Written().Select(w => (w.Ost, w.Mirrors)).OrderBy(w => w.Ost));
    }

    [Fact]
    public async Task Commit_before_release_syncs_only_the_OSTs_with_uncommitted_writes()
    {
        var (client, mds) = await ClientAsync();
        await using var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, Data(1000, 1));
        await WaitUntilAsync(() => Osts[0].HighestTransno > 0 && Osts[1].HighestTransno > 0 && Osts[2].HighestTransno > 0, "the write reached all three OSTs");
        Osts[0].CommitAll();
        Osts[1].CommitAll();

        await client.Locks!.ReleaseAsync(client.Locks.ActiveWriters.Single(), "test");

        Assert.Equal(0, Osts[0].Syncs);
        Assert.Equal(0, Osts[1].Syncs);
        Assert.Equal(1, Osts[2].Syncs);
        Assert.Empty(mds.AwCancels.Single().Lvb);
    }

    [Fact]
    public async Task Without_sync_on_epoch_close_no_OST_is_synced()
    {
        var (client, mds) = await ClientAsync(iwm: new IwmOptions { SyncOnEpochClose = false, IdleRelease = TimeSpan.FromMinutes(10) });
        await using var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, Data(1000, 1));

        await client.Locks!.ReleaseAsync(client.Locks.ActiveWriters.Single(), "test");

        Assert.All(Osts.All, o => Assert.Equal(0, o.Syncs));
        Assert.Single(mds.AwCancels);
    }

    [Fact]
    public async Task An_idle_AW_lock_is_released_after_the_idle_timeout()
    {
        var (client, mds) = await ClientAsync(iwm: new IwmOptions { IdleRelease = TimeSpan.FromMilliseconds(100) });
        await using var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, Data(1000, 1));
        await file.FsyncAsync();

        await WaitUntilAsync(() => mds.AwCancels.Count == 1 && !client.Locks!.ActiveWriters.Any(), "the idle AW lock was cancelled and dropped");

        Assert.Equal(FlrState.ReadOnly, mds.Layout.State);
        Assert.Equal(3, Osts.All.Sum(o => o.Syncs)); // fsync committed all three mirrors; release had nothing left to sync
    }
}
