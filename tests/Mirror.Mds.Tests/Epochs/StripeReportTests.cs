using Google.Protobuf;
using Mirror.Core.Iwm;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;

namespace Mirror.Mds.Tests.Epochs;

/// <summary>IWM §3.1: the per-stripe part of the cancel LVB is persisted with the epoch and named in CL_MIRROR_STALE.</summary>
public class StripeReportTests
{
    [Fact]
    public async Task Failed_stripes_are_persisted_with_the_error_mask_merged_across_writers_and_shown_in_the_changelog()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = (await mds.CreateAsync("f", TestMds.Spec(
            TestMds.MirrorOf(MirrorFlags.Immediate, TestMds.Comp()),
            TestMds.MirrorOf(MirrorFlags.Immediate, TestMds.Comp(count: 2)),
            TestMds.MirrorOf(MirrorFlags.Immediate, TestMds.Comp())))).Attr.Fid;
        var a = await mds.ConnectAsync("a");
        var b = await mds.ConnectAsync("b");
        var awA = await mds.AwAsync(a, fid);
        var awB = await mds.AwAsync(b, fid);
        var (second, third) = (mds.Layout(fid).Mirrors[1], mds.Layout(fid).Mirrors[2]);

        // Writer a: stripe 1 of the 2-stripe mirror at position 1 failed. The forced close calls b back; before b cancels, the report is durable.
        var reportA = new MirrorErrorReport();
        reportA.Add(1, 2, 1);
        await mds.Service.LockCancel(new LockCancelRequest { ClientId = a, LockHandle = awA.LockHandle, Lvb = ByteString.CopyFrom(reportA.Encode()) });
        await mds.NextCallbackAsync(b);
        var row = Assert.Single(mds.Core.Model.Database.LoadEpochs());
        Assert.Equal((ushort)0b10, row.ErrorMask);
        Assert.Equal([1], MirrorErrorReport.Decode(row.StripeReport).ErroredStripes(1));

        var reportB = new MirrorErrorReport();
        reportB.Add(2, 1, 0);
        await mds.Service.LockCancel(new LockCancelRequest { ClientId = b, LockHandle = awB.LockHandle, Lvb = ByteString.CopyFrom(reportB.Encode()) });
        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "the forced close");

        // The close leaves the in-memory epoch set before its group commit makes the changelog record readable.
        var stale = await mds.LastChangelogAsync(ChangelogType.ClMirrorStale);
        Assert.Equal(ChangelogType.ClMirrorStale, stale.Type);
        Assert.Equal([(uint)second.Id, (uint)third.Id], stale.MirrorIds);
        Assert.EndsWith($" failed_stripes={second.Id}:1/2;{third.Id}:all/1", stale.Detail);
        Assert.Empty(mds.Core.Model.Database.LoadEpochs());
    }
}
