using Mirror.Client.Locks;
using Mirror.Client.Tests.Fakes;
using Mirror.Core.Faults;
using Mirror.Core.Iwm;
using Mirror.Protocol.Mds;

namespace Mirror.Client.Tests.Locks;

[CollectionDefinition("ClientFaultPoints", DisableParallelization = true)]
public class ClientFaultPointCollection;

/// <summary>The client's IWM fault points (process-wide, so these tests run alone). Mirror ids 7–9 are used only here.</summary>
[Collection("ClientFaultPoints")]
public class ClientFaultPointTests : IwmTestBase
{
    private static Core.Layouts.FileLayout Layout789() => Fakes.Layouts.Of(Immediate(7, 0), Immediate(8, 1), Immediate(9, 2));

    [Fact]
    public async Task Fault_point_client_ost_write_mirror_fails_writes_to_that_mirror_only()
    {
        var (client, mds) = await ClientAsync(Layout789());
        FaultPoints.Set("client.ost.write.mirror9", new FaultSpec(FaultAction.Fail));
        try
        {
            await using var file = await client.OpenAsync("/f");
            var data = Data(3000, 1);
            await file.WriteAsync(0, data);
            await file.FsyncAsync();

            Assert.Equal(0, Osts[2].Writes);
            Assert.Equal(data, ObjectBytes(mds.Layout, 8)[..data.Length]);
            await client.Locks!.ReleaseAsync(client.Locks.ActiveWriters.Single(), "test");
            Assert.Equal(new[] { 2 }, MirrorErrorReport.Decode(mds.AwCancels.Single().Lvb).ErroredPositions);
        }
        finally
        {
            FaultPoints.Clear("client.ost.write.mirror9");
        }
    }

    [Fact]
    public async Task Fault_point_client_sync_makes_commit_before_release_report_the_mirrors_of_that_OST()
    {
        var (client, mds) = await ClientAsync(Layout789());
        await using var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, Data(3000, 2));
        await WaitUntilAsync(() => Osts.All.Count(o => o.HighestTransno > 0) == 3, "the write reached all three OSTs");
        Osts[0].CommitAll();
        Osts[2].CommitAll();
        FaultPoints.Set(ClientLockCache.SyncFaultPoint, new FaultSpec(FaultAction.Fail, Remaining: 1));
        try
        {
            await client.Locks!.ReleaseAsync(client.Locks.ActiveWriters.Single(), "test");
        }
        finally
        {
            FaultPoints.Clear(ClientLockCache.SyncFaultPoint);
        }

        Assert.Equal(new[] { 1 }, MirrorErrorReport.Decode(mds.AwCancels.Single().Lvb).ErroredPositions);
        Assert.True(mds.Layout.Mirror(8)!.IsStale);
    }

    [Fact]
    public async Task Fault_point_client_lock_callback_drop_leaves_the_callback_unanswered()
    {
        var (client, mds) = await ClientAsync(Layout789());
        await using var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, Data(3000, 3));
        var aw = client.Locks!.ActiveWriters.Single();
        FaultPoints.Set(ClientLockCache.CallbackFaultPoint, new FaultSpec(FaultAction.Drop, Remaining: 1));
        try
        {
            await client.Locks.HandleCallbackAsync(new LockCallback { LockHandle = aw.Handle, Fid = Mirror.Protocol.LayoutConversion.ToMsg(FakeMds.FileFid), Bits = (uint)LockBit.ActiveWriters });
        }
        finally
        {
            FaultPoints.Clear(ClientLockCache.CallbackFaultPoint);
        }

        Assert.False(aw.IsReleasing);
        Assert.Empty(mds.AwCancels);
    }
}
