using Mirror.Client.Locks;
using Mirror.Client.Tests.Fakes;
using Mirror.Core.Errors;
using Mirror.Core.Iwm;
using Mirror.Core.Layouts;
using Mirror.Protocol;
using Mirror.Protocol.Mds;

namespace Mirror.Client.Tests.Files;

/// <summary>The IWM write path of MirrorFile against a fake MDS with the lock calls (IWM §2.1, §2.3, §2.4.4).</summary>
public class ImmediateWriteTests : IwmTestBase
{
    [Fact]
    public async Task Writes_take_the_layout_lock_then_AW_and_reach_every_immediate_mirror()
    {
        var (client, mds) = await ClientAsync();
        await using var file = await client.OpenAsync("/f");
        var data = Data(150_000, 1);

        await file.WriteAsync(0, data);
        await file.FsyncAsync();

        Assert.Equal(new[] { LockBit.Layout, LockBit.ActiveWriters }, mds.Enqueues.Select(e => e.Bits).Take(2));
        Assert.DoesNotContain(MdsMethods.LayoutIntent, mds.Rpc.Calls);
        Assert.True(file.Layout.Mirror(2)!.IsInflight && file.Layout.Mirror(3)!.IsInflight && file.Layout.Mirror(1)!.IsReadable);
        foreach (ushort id in new ushort[] { 1, 2, 3 })
        {
            Assert.Equal(data, ObjectBytes(mds.Layout, id)[..data.Length]);
        }

        var aw = client.Locks!.ActiveWriters.Single();
        await client.Locks.ReleaseAsync(aw, "test");
        Assert.Empty(mds.AwCancels.Single().Lvb);
        Assert.All(mds.Layout.Mirrors, m => Assert.True(m.IsReadable));
        Assert.Equal(FlrState.ReadOnly, mds.Layout.State);
    }

    [Fact]
    public async Task A_secondary_failure_is_not_seen_by_the_application_and_is_reported_in_the_cancel()
    {
        var (client, mds) = await ClientAsync();
        Osts[1].Fault = new MirrorException(Errno.EIO, "OST1 disk failed");
        await using var file = await client.OpenAsync("/f");
        var data = Data(100_000, 2);

        await file.WriteAsync(0, data);
        await file.WriteAsync(100_000, data);
        await file.FsyncAsync();
        var back = new byte[data.Length];
        await file.ReadAsync(100_000, back);

        Assert.Equal(data, back);
        var aw = client.Locks!.ActiveWriters.Single();
        Assert.True(aw.HasErrors);
        await client.Locks.ReleaseAsync(aw, "test");
        var report = MirrorErrorReport.Decode(mds.AwCancels.Single().Lvb);
        Assert.Equal(new[] { 1 }, report.ErroredPositions);
        Assert.Equal(new[] { 0 }, report.ErroredStripes(1));
        Assert.True(mds.Layout.Mirror(2)!.IsStale);
        Assert.True(mds.Layout.Mirror(1)!.IsReadable && mds.Layout.Mirror(3)!.IsReadable);
    }

    [Fact]
    public async Task A_primary_failure_closes_the_epoch_with_the_report_and_restarts_on_a_clean_primary()
    {
        var (client, mds) = await ClientAsync();
        Osts[0].Fault = new MirrorException(Errno.EIO, "OST0 disk failed");
        await using var file = await client.OpenAsync("/f");
        var data = Data(70_000, 3);

        await file.WriteAsync(0, data);
        await file.FsyncAsync();

        var first = MirrorErrorReport.Decode(mds.AwCancels.First().Lvb);
        Assert.Equal(new[] { 0 }, first.ErroredPositions);
        Assert.True(mds.Layout.Mirror(1)!.IsStale);
        Assert.Equal(2, mds.Enqueues.Count(e => e.Bits == LockBit.ActiveWriters));
        Assert.Equal(data, ObjectBytes(mds.Layout, 2)[..data.Length]);
        Assert.Equal(data, ObjectBytes(mds.Layout, 3)[..data.Length]);
        var back = new byte[data.Length];
        Assert.Equal(data.Length, await file.ReadAsync(0, back));
        Assert.Equal(data, back);
    }

    [Fact]
    public async Task Every_mirror_failing_is_EIO_for_the_application()
    {
        var (client, mds) = await ClientAsync();
        foreach (var i in new[] { 0, 1, 2 })
        {
            Osts[i].Fault = new MirrorException(Errno.EIO, $"OST{i} gone");
        }

        await using var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, Data(1000, 4));

        var e = await Assert.ThrowsAsync<MirrorException>(() => file.FsyncAsync());
        Assert.Equal(Errno.EIO, e.Errno);
        Assert.Equal(0b111, MirrorErrorReport.Decode(mds.AwCancels.Single().Lvb).MirrorMask);
        await Assert.ThrowsAsync<MirrorException>(() => file.CloseAsync());
    }

    [Fact]
    public async Task Truncate_punch_fallocate_and_mtime_fan_out_to_every_immediate_mirror()
    {
        var (client, mds) = await ClientAsync();
        await using var file = await client.OpenAsync("/f");
        var data = Data(100_000, 5);
        await file.WriteAsync(0, data);

        await file.PunchAsync(1000, 2000);
        await file.TruncateAsync(50_000);
        await file.FallocateAsync(50_000, 10_000);
        var modifiesBefore = Osts.All.Sum(o => (long)o.HighestTransno);
        await file.SetMtimeAsync(DateTimeOffset.UtcNow);

        Assert.Equal(modifiesBefore + 3, Osts.All.Sum(o => (long)o.HighestTransno)); // one object setattr per mirror
        foreach (ushort id in new ushort[] { 1, 2, 3 })
        {
            var bytes = ObjectBytes(mds.Layout, id);
            Assert.Equal(60_000, bytes.Length);
            Assert.All(bytes[50_000..], b => Assert.Equal(0, b));
            Assert.All(bytes[1000..3000], b => Assert.Equal(0, b));
            Assert.Equal(data[3000..50_000], bytes[3000..50_000]);
        }

        Assert.DoesNotContain(MdsMethods.LayoutIntent, mds.Rpc.Calls);
    }

    [Fact]
    public async Task A_client_that_is_not_IWM_aware_never_takes_AW_and_writes_with_a_write_intent()
    {
        var (client, mds) = await ClientAsync(iwmAware: false);
        await using var file = await client.OpenAsync("/f");

        await file.WriteAsync(0, Data(1000, 6));
        await file.FsyncAsync();

        Assert.Null(client.Locks);
        Assert.Empty(mds.Enqueues);
        Assert.Equal(new[] { LayoutIntentOp.IntentWrite }, mds.Intents);
    }

    [Fact]
    public async Task A_delayed_write_file_keeps_the_write_intent_path()
    {
        var (client, mds) = await ClientAsync(Fakes.Layouts.Of(Fakes.Layouts.Plain(1, Fakes.Layouts.K64, 0), Immediate(2, 1)));
        await using var file = await client.OpenAsync("/f");

        await file.WriteAsync(0, Data(1000, 7));
        await file.FsyncAsync();

        Assert.False(file.UsesImmediate);
        Assert.DoesNotContain(mds.Enqueues, e => e.Bits == LockBit.ActiveWriters);
        Assert.Equal(new[] { LayoutIntentOp.IntentWrite }, mds.Intents);
    }
}
