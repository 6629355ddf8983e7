using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

public sealed class FlrTests
{
    private static bool Stale(Protocol.Mds.Mirror m) => (m.Flags & (uint)MirrorFlags.Stale) != 0;

    private static LayoutIntentRequest Intent(FidMsg fid, LayoutIntentOp op) => new() { Fid = fid, Op = op };

    [Fact]
    public async Task Write_intent_stales_every_mirror_but_the_primary_and_logs_FLRW()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var spec = Spec(MirrorOf(Comp(pool: "archive")), MirrorOf(MirrorFlags.Prefer, Comp(pool: "flash")), MirrorOf(Comp()));
        var f = await mds.CreateAsync("f", spec);
        var dv = f.Attr.DataVersion;

        var w = await mds.Service.LayoutIntent(Intent(f.Attr.Fid, LayoutIntentOp.IntentWrite));
        Assert.Equal(FlrStateMsg.FlrWritePending, w.Layout.State);
        Assert.Equal(2u, w.Layout.Generation);
        Assert.True(w.Layout.StateOnlyChange);
        Assert.Equal([false, true, true], w.Layout.Mirrors.OrderBy(m => m.Id == 2 ? 0 : 1).Select(Stale));
        Assert.Equal(dv + 1, w.Attr.DataVersion);
        var flrw = (await mds.ChangelogAsync())[^1];
        Assert.Equal(ChangelogType.ClFlrw, flrw.Type);
        Assert.Equal([1u, 3u], flrw.MirrorIds.Order());

        // Already WRITE_PENDING: no layout change, but the data version still moves.
        var again = await mds.Service.LayoutIntent(Intent(f.Attr.Fid, LayoutIntentOp.IntentWrite));
        Assert.Equal(2u, again.Layout.Generation);
        Assert.Equal(dv + 2, again.Attr.DataVersion);
    }

    [Fact]
    public async Task Single_mirror_write_intent_only_bumps_the_data_version()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f");
        var w = await mds.Service.LayoutIntent(Intent(f.Attr.Fid, LayoutIntentOp.IntentWrite));
        Assert.Equal(FlrStateMsg.FlrReadOnly, w.Layout.State);
        Assert.Equal(1u, w.Layout.Generation);
        Assert.Equal(f.Attr.DataVersion + 1, w.Attr.DataVersion);
    }

    [Fact]
    public async Task Resync_start_and_done_return_the_file_to_read_only_with_generations_increasing()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f", Mirrors(2));
        var gens = new List<uint> { f.Layout.Generation };

        var nothing = await mds.Service.LayoutIntent(Intent(f.Attr.Fid, LayoutIntentOp.IntentResync));
        Assert.Equal(f.Layout.Generation, nothing.Layout.Generation); // nothing stale: nothing to do

        gens.Add((await mds.Service.LayoutIntent(Intent(f.Attr.Fid, LayoutIntentOp.IntentWrite))).Layout.Generation);
        var sync = await mds.Service.LayoutIntent(Intent(f.Attr.Fid, LayoutIntentOp.IntentResync));
        Assert.Equal(FlrStateMsg.FlrSyncPending, sync.Layout.State);
        gens.Add(sync.Layout.Generation);

        var done = new ResyncDoneRequest { Fid = f.Attr.Fid, Generation = sync.Layout.Generation, Size = 4096 };
        done.SyncedMirrorIds.Add(2);
        var after = await mds.Service.ResyncDone(done);
        gens.Add(after.Layout.Generation);
        Assert.Equal(FlrStateMsg.FlrReadOnly, after.Layout.State);
        Assert.DoesNotContain(after.Layout.Mirrors, Stale);
        Assert.Equal(4096ul, after.Attr.Size);
        var record = (await mds.ChangelogAsync())[^1];
        Assert.Equal(ChangelogType.ClResync, record.Type);
        Assert.Equal([2u], record.MirrorIds);

        Assert.Equal(gens.Order().Distinct(), gens);
    }

    [Fact]
    public async Task A_write_during_resync_aborts_it_with_ESTALE()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f", Mirrors(2));
        await mds.Service.LayoutIntent(Intent(f.Attr.Fid, LayoutIntentOp.IntentWrite));
        var sync = await mds.Service.LayoutIntent(Intent(f.Attr.Fid, LayoutIntentOp.IntentResync));

        var write = await mds.Service.LayoutIntent(Intent(f.Attr.Fid, LayoutIntentOp.IntentWrite));
        Assert.Equal(FlrStateMsg.FlrWritePending, write.Layout.State);
        Assert.True(write.Layout.Generation > sync.Layout.Generation);

        var done = new ResyncDoneRequest { Fid = f.Attr.Fid, Generation = sync.Layout.Generation };
        done.SyncedMirrorIds.Add(2);
        var e = await Fails(Errno.ESTALE, () => mds.Service.ResyncDone(done));
        Assert.Contains("file changed during resync", e.Message);
        var now = await mds.Service.GetLayout(new FidRequest { Fid = f.Attr.Fid });
        Assert.Equal(write.Layout, now.Layout);
    }

    [Fact]
    public async Task Swap_layouts_checks_the_data_version_and_lifts_both_generations()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f", Mirrors(1, "flash"));
        var donor = await mds.CreateAsync("v", Mirrors(2, "archive"));
        await mds.Service.LayoutIntent(Intent(donor.Attr.Fid, LayoutIntentOp.IntentWrite)); // donor gen 2

        await Fails(Errno.ESTALE, () => mds.Service.SwapLayouts(new SwapLayoutsRequest { Fid = f.Attr.Fid, Donor = donor.Attr.Fid, ExpectedDataVersion = 99 }));
        var swapped = await mds.Service.SwapLayouts(new SwapLayoutsRequest { Fid = f.Attr.Fid, Donor = donor.Attr.Fid, ExpectedDataVersion = f.Attr.DataVersion });
        Assert.Equal(3u, swapped.Layout.Generation);
        Assert.Equal(2, swapped.Layout.Mirrors.Count);
        Assert.All(swapped.Layout.Mirrors.SelectMany(m => m.Components), c =>
        {
            Assert.Equal("archive", c.Pool);
            Assert.Equal(donor.Attr.Fid, c.ObjectFid); // the data stays where the donor wrote it
        });
        var other = await mds.Service.GetLayout(new FidRequest { Fid = donor.Attr.Fid });
        Assert.Equal(3u, other.Layout.Generation);
        Assert.Equal(f.Attr.Fid, other.Layout.Mirrors[0].Components[0].ObjectFid);
    }
}
