using Mirror.Client.Tests.Fakes;
using Mirror.Core.Errors;
using Mirror.Core.Iwm;

namespace Mirror.Client.Tests.Files;

/// <summary>fsync of an IWM file when an OST cannot commit (IWM §2.2.2, §2.3.3, §2.4.4).</summary>
public class ImmediateFsyncTests : IwmTestBase
{
    [Fact]
    public async Task A_primary_OST_that_cannot_commit_is_reported_before_fsync_returns_and_fsync_succeeds()
    {
        var (client, mds) = await ClientAsync();
        await using var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, Data(100_000, 1));
        var back = new byte[1];
        await file.ReadAsync(0, back); // the write has completed on every mirror
        Osts[0].Fault = FakeOst.Unavailable(0); // mirror 1 (the primary) lives on OST 0

        await file.FsyncAsync();

        var cancel = Assert.Single(mds.AwCancels); // the AW lock went back with the report before fsync returned
        var report = MirrorErrorReport.Decode(cancel.Lvb);
        Assert.Equal(new[] { 0 }, report.ErroredPositions);
        Assert.True(mds.Layout.Mirror(1)!.IsStale);
        Assert.True(mds.Layout.Mirror(2)!.IsReadable && mds.Layout.Mirror(3)!.IsReadable);
    }

    [Fact]
    public async Task When_no_mirror_can_commit_fsync_is_EIO_and_stays_so()
    {
        var (client, _) = await ClientAsync();
        var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, Data(100_000, 2));
        await file.ReadAsync(0, new byte[1]);
        foreach (var ost in Osts.All)
        {
            ost.Fault = FakeOst.Unavailable(ost.Index);
        }

        var e = await Assert.ThrowsAsync<MirrorException>(() => file.FsyncAsync());
        Assert.Equal(Errno.EIO, e.Errno);
        Assert.Equal(Errno.EIO, (await Assert.ThrowsAsync<MirrorException>(() => file.FsyncAsync())).Errno);
        Assert.Equal(Errno.EIO, (await Assert.ThrowsAsync<MirrorException>(() => file.CloseAsync())).Errno);
    }
}
