using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Mds.Locks;
using Mirror.Mds.Service;
using Mirror.Protocol;
using Mirror.Protocol.Mds;

namespace Mirror.Mds.Tests;

public sealed class EpochTests
{
    [Fact]
    public async Task Epoch_open_marks_secondaries_inflight_and_delayed_mirrors_stale_and_adds_the_fid_durably()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 2, delayed: 1);
        var client = await mds.ConnectAsync("c1");

        var grant = await mds.AwAsync(client, fid);

        var layout = mds.Layout(fid);
        Assert.Equal(FlrState.WritePending, layout.State);
        Assert.True(layout.Mirror(1)!.IsReadable);
        Assert.Equal(MirrorFlags.Immediate | MirrorFlags.Inflight, layout.Mirror(2)!.Flags);
        Assert.Equal(MirrorFlags.Stale, layout.Mirror(3)!.Flags);
        Assert.Equal(2u, layout.Generation);
        Assert.True(layout.StateOnlyChange);
        Assert.Equal(layout.Generation, grant.Layout.Generation);
        Assert.Contains(grant.Layout.Mirrors, m => m.Id == 2 && (m.Flags & (uint)MirrorFlags.Inflight) != 0);
        Assert.NotEqual(0UL, grant.EpochId);
        var row = Assert.Single(mds.Core.Model.Database.LoadEpochs());
        Assert.Equal(ProtoConvert.Fid(fid), row.Fid);
        Assert.Equal(grant.EpochId, row.EpochId);
    }

    [Fact]
    public async Task Clean_close_clears_inflight_and_returns_to_rdonly()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f");
        var client = await mds.ConnectAsync("c1");
        var grant = await mds.AwAsync(client, fid);

        await mds.CancelAsync(client, grant.LockHandle);

        var layout = mds.Layout(fid);
        Assert.Equal(FlrState.ReadOnly, layout.State);
        Assert.All(layout.Mirrors, m => Assert.Equal(MirrorFlags.Immediate, m.Flags));
        Assert.Equal(3u, layout.Generation);
        Assert.Empty(mds.Core.Model.Database.LoadEpochs());
        var closed = (await mds.ChangelogAsync()).Last();
        Assert.Equal(ChangelogType.ClLayout, closed.Type);
        Assert.Contains("closed clean", closed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Design_example_errors_on_mirror_positions_0_and_1_stale_mirrors_1_and_2_and_leave_3_clean()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 3);
        var client = await mds.ConnectAsync("c1");
        var grant = await mds.AwAsync(client, fid);

        await mds.CancelAsync(client, grant.LockHandle, 0, 1);
        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "the forced close");

        var layout = mds.Layout(fid);
        Assert.Equal(MirrorFlags.Immediate | MirrorFlags.Stale, layout.Mirror(1)!.Flags);
        Assert.Equal(MirrorFlags.Immediate | MirrorFlags.Stale, layout.Mirror(2)!.Flags);
        Assert.Equal(MirrorFlags.Immediate, layout.Mirror(3)!.Flags);
        Assert.Equal(FlrState.WritePending, layout.State);
        Assert.Equal((ushort)3, FlrTransitionsPrimary(layout));
        var stale = await mds.LastChangelogAsync(ChangelogType.ClMirrorStale);
        Assert.Equal(ChangelogType.ClMirrorStale, stale.Type);
        Assert.Equal([1u, 2u], stale.MirrorIds);
    }

    [Fact]
    public async Task Error_report_forces_the_close_the_other_writer_is_called_back_and_its_cancel_completes_it()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 3);
        var a = await mds.ConnectAsync("a");
        var b = await mds.ConnectAsync("b");
        var aw1 = await mds.AwAsync(a, fid);
        var aw2 = await mds.AwAsync(b, fid);
        Assert.Equal(aw1.EpochId, aw2.EpochId);

        await mds.CancelAsync(a, aw1.LockHandle, 1);
        Assert.Equal((ushort)0b10, mds.Core.Model.Database.LoadEpochs().Single().ErrorMask);

        var callback = await mds.NextCallbackAsync(b);
        Assert.Equal(aw2.LockHandle, callback.Lock.Handle);
        Assert.Equal(Locks.LockMode.EX, callback.BlockingMode);
        Assert.True(mds.EpochOpen(fid));
        Assert.True(mds.Layout(fid).Mirror(3)!.IsInflight);

        await mds.CancelAsync(b, aw2.LockHandle, 2);
        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "the close after the last writer cancelled");

        // The two reports were OR-ed: positions 1 and 2 (mirrors 2 and 3) are STALE, the primary is clean.
        var layout = mds.Layout(fid);
        Assert.True(layout.Mirror(1)!.IsReadable);
        Assert.True(layout.Mirror(2)!.IsStale);
        Assert.True(layout.Mirror(3)!.IsStale);
        Assert.True(layout.NoInflight());
    }

    [Fact]
    public async Task Writer_that_never_answers_the_callback_is_evicted_after_the_timeout_and_secondaries_go_stale()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 3);
        var a = await mds.ConnectAsync("a");
        var silent = await mds.ConnectAsync("silent");
        var aw1 = await mds.AwAsync(a, fid);
        await mds.AwAsync(silent, fid);

        await mds.CancelAsync(a, aw1.LockHandle, 2);
        await mds.NextCallbackAsync(silent);
        mds.Clock.Advance(TimeSpan.FromSeconds(9));
        await mds.Core.HousekeepOnceAsync();
        Assert.True(mds.EpochOpen(fid));

        mds.Clock.Advance(TimeSpan.FromSeconds(2));
        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "eviction of the silent writer and the close");

        var layout = mds.Layout(fid);
        Assert.True(layout.Mirror(1)!.IsReadable);
        Assert.True(layout.Mirror(2)!.IsStale);
        Assert.True(layout.Mirror(3)!.IsStale);
        Assert.True(layout.NoInflight());
        var e = await TestMds.Fails(Errno.ESTALE, () => mds.AwAsync(silent, fid));
        Assert.Contains("evicted", e.Message, StringComparison.Ordinal);
        Assert.True((await mds.Service.Ping(new PingRequest { ClientId = silent })).Evicted);
        Assert.False((await mds.Service.Ping(new PingRequest { ClientId = a })).Evicted);
    }

    [Fact]
    public async Task Lease_expiry_evicts_the_writer_and_its_epoch_closes_with_secondaries_stale()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 2);
        var client = await mds.ConnectAsync("c1");
        await mds.AwAsync(client, fid);

        mds.Clock.Advance(TimeSpan.FromSeconds(20));
        await mds.Core.HousekeepOnceAsync();
        Assert.False((await mds.Service.Ping(new PingRequest { ClientId = client })).Evicted);
        mds.Clock.Advance(TimeSpan.FromSeconds(31));
        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "lease eviction and close");

        Assert.True((await mds.Service.Ping(new PingRequest { ClientId = client })).Evicted);
        Assert.True(mds.Layout(fid).Mirror(2)!.IsStale);
        Assert.True(mds.Layout(fid).Mirror(1)!.IsReadable);
        Assert.Empty(mds.Core.Model.Database.LoadClients());
        await TestMds.Fails(Errno.ESTALE, () => mds.LayoutLockAsync(client, fid));
    }

    [Fact]
    public async Task Admin_eviction_of_a_writer_stales_the_secondaries()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 3);
        var client = await mds.ConnectAsync("c1");
        await mds.AwAsync(client, fid);

        await mds.Service.EvictClient(new EvictClientRequest { ClientId = client });

        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "the close after eviction");
        Assert.Equal([false, true, true], mds.Layout(fid).Mirrors.Select(m => m.IsStale));
        await TestMds.Fails(Errno.ENOENT, () => mds.Service.EvictClient(new EvictClientRequest { ClientId = 999 }));
    }

    [Fact]
    public async Task Non_iwm_client_cannot_take_aw_and_aw_needs_an_iwm_file()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f");
        var plain = (await mds.CreateAsync("plain", TestMds.Mirrors(2))).Attr.Fid;
        var old = await mds.ConnectAsync("old", iwmAware: false);
        var aware = await mds.ConnectAsync("new");

        await TestMds.Fails(Errno.EINVAL, () => mds.AwAsync(old, fid));
        await TestMds.Fails(Errno.EINVAL, () => mds.AwAsync(aware, plain));
        await TestMds.Fails(Errno.ESTALE, () => mds.AwAsync(12345, fid));
        await TestMds.Fails(Errno.EINVAL, () => mds.Service.LockEnqueue(new LockEnqueueRequest
        {
            ClientId = aware,
            Fid = fid,
            Bits = (uint)(LockBits.Layout | LockBits.ActiveWriters),
            Mode = Protocol.Mds.LockMode.Cr,
        }));
    }

    [Fact]
    public async Task Malformed_lvb_is_eproto_and_counts_as_an_error_on_every_mirror()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 2);
        var client = await mds.ConnectAsync("c1");
        var grant = await mds.AwAsync(client, fid);

        await TestMds.Fails(Errno.EPROTO, () => mds.Service.LockCancel(new LockCancelRequest
        {
            ClientId = client,
            LockHandle = grant.LockHandle,
            Lvb = Google.Protobuf.ByteString.CopyFrom(0x01),
        }));

        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "the forced close");
        Assert.All(mds.Layout(fid).Mirrors, m => Assert.True(m.IsStale));
    }

    private static ushort FlrTransitionsPrimary(FileLayout layout) => layout.PrimaryMirror()!.Id;
}
