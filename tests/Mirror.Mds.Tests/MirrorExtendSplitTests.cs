using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

public sealed class MirrorExtendSplitTests
{
    private static bool Stale(Protocol.Mds.Mirror m) => (m.Flags & (uint)MirrorFlags.Stale) != 0;

    /// <summary>A destroyer that never succeeds, so anything orphaned stays visible to the test.</summary>
    private static Task NeverDestroy(string address, Layouts.OrphanObject orphan, CancellationToken ct) =>
        throw new Core.Errors.MirrorException(Errno.EHOSTUNREACH, "OST unreachable in this test");

    private static MirrorExtendRequest Extend(FidMsg fid, LayoutSpec spec) => new() { Fid = fid, Mirrors = spec };

    [Fact]
    public async Task Extend_adds_stale_mirrors_away_from_the_existing_osts_and_logs_LAYOUT()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f", Mirrors(1, "flash"));
        var used = f.Layout.Mirrors[0].Components[0].Osts.Single();

        var r = await mds.Service.MirrorExtend(Extend(f.Attr.Fid, Mirrors(1, "flash")));
        Assert.Equal(2, r.Layout.Mirrors.Count);
        Assert.Equal(2u, r.Layout.Generation);
        Assert.True(Stale(r.Layout.Mirrors[1]));
        Assert.NotEqual(used, r.Layout.Mirrors[1].Components[0].Osts.Single());
        var record = (await mds.ChangelogAsync())[^1];
        Assert.Equal(ChangelogType.ClLayout, record.Type);
        Assert.Equal([2u], record.MirrorIds);
    }

    [Fact]
    public async Task Extend_with_a_victim_takes_its_objects_and_removes_its_name_without_destroying()
    {
        await using var mds = await StartAsync(NeverDestroy);
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f", Mirrors(1, "flash"));
        var v = await mds.CreateAsync("v", Mirrors(1, "archive"));

        var r = await mds.Service.MirrorExtend(new MirrorExtendRequest { Fid = f.Attr.Fid, Victim = v.Attr.Fid });
        var taken = r.Layout.Mirrors[1];
        Assert.Equal(2u, taken.Id);
        Assert.NotEqual(r.Layout.Mirrors[0].Components[0].Id, taken.Components[0].Id);
        Assert.Equal(v.Attr.Fid, taken.Components[0].ObjectFid);
        Assert.Equal(v.Layout.Mirrors[0].Components[0].Id, taken.Components[0].ObjectComponentId);
        await Fails(Errno.ENOENT, () => mds.Service.Lookup(new LookupRequest { Parent = Root, Name = "v" }));
        Assert.Empty(mds.Core.Model.Read(() => mds.Core.Model.Orphans.Values.ToList()));
    }

    [Fact]
    public async Task Split_detaches_a_mirror_as_a_new_file_with_the_default_name()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f", Spec(MirrorOf(Comp(pool: "flash")), MirrorOf(Comp(pool: "archive"))));
        var r = await mds.Service.MirrorSplit(new MirrorSplitRequest { Fid = f.Attr.Fid, MirrorId = 2 });
        Assert.Single(r.Layout.Mirrors);
        Assert.Equal(2u, r.Layout.Generation);

        var split = await mds.Service.Lookup(new LookupRequest { Parent = Root, Name = "f.mirror~2" });
        var layout = await mds.Service.GetLayout(new FidRequest { Fid = split.Fid });
        var c = layout.Layout.Mirrors.Single().Components.Single();
        Assert.Equal(f.Attr.Fid, c.ObjectFid);
        Assert.Equal(f.Layout.Mirrors[1].Components[0].Id, c.ObjectComponentId);
        Assert.Equal(f.Layout.Mirrors[1].Components[0].Osts, c.Osts);
    }

    [Fact]
    public async Task Split_with_destroy_queues_the_mirror_objects_and_the_destroyer_removes_them()
    {
        var destroyed = new System.Collections.Concurrent.ConcurrentBag<(string Address, uint Component)>();
        await using var mds = await StartAsync((address, orphan, _) =>
        {
            destroyed.Add((address, orphan.Object.ComponentId));
            return Task.CompletedTask;
        });
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f", Spec(MirrorOf(Comp(pool: "flash")), MirrorOf(Comp(count: 2, pool: "archive"))));
        await mds.Service.MirrorSplit(new MirrorSplitRequest { Fid = f.Attr.Fid, MirrorId = 2, Destroy = true });

        var component = f.Layout.Mirrors[1].Components[0].Id;
        await WaitForAsync(() => mds.Core.Model.Database.LoadOrphans().Count == 0, "orphan rows deleted after destroy");
        Assert.Equal(["127.0.0.1:7002", "127.0.0.1:7003"], destroyed.Select(d => d.Address).Order());
        Assert.All(destroyed, d => Assert.Equal(component, d.Component));
    }

    [Fact]
    public async Task Bad_splits_and_extends_are_EINVAL_and_change_nothing()
    {
        await using var mds = await StartAsync(NeverDestroy);
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f", Mirrors(2));
        var stale = await mds.Service.LayoutIntent(new LayoutIntentRequest { Fid = f.Attr.Fid, Op = LayoutIntentOp.IntentWrite });
        var single = await mds.CreateAsync("s");
        var records = await mds.ChangelogAsync();

        var e = await Fails(Errno.EINVAL, () => mds.Service.MirrorSplit(new MirrorSplitRequest { Fid = f.Attr.Fid, MirrorId = 7 }));
        Assert.Contains("no mirror 7 in", e.Message);
        e = await Fails(Errno.EINVAL, () => mds.Service.MirrorSplit(new MirrorSplitRequest { Fid = f.Attr.Fid, MirrorId = 1 }));
        Assert.Contains("last in-sync mirror", e.Message);
        await Fails(Errno.EINVAL, () => mds.Service.MirrorSplit(new MirrorSplitRequest { Fid = single.Attr.Fid, MirrorId = 1 }));
        e = await Fails(Errno.EINVAL, () => mds.Service.MirrorExtend(Extend(f.Attr.Fid, Mirrors(15))));
        Assert.Contains("at most 16 mirrors", e.Message);
        await Fails(Errno.EINVAL, () => mds.Service.MirrorExtend(Extend(f.Attr.Fid, Mirrors(1, "nvme"))));
        await Fails(Errno.ESTALE, () => mds.Service.MirrorExtend(new MirrorExtendRequest { Fid = f.Attr.Fid, Mirrors = Mirrors(1), ExpectedGeneration = 1 }));

        Assert.Equal(stale.Layout, (await mds.Service.GetLayout(new FidRequest { Fid = f.Attr.Fid })).Layout);
        Assert.Equal(records, await mds.ChangelogAsync());
        Assert.Empty(mds.Core.Model.Read(() => mds.Core.Model.Orphans.Values.ToList()));
        Assert.Equal(["f", "s"], (await mds.Service.Readdir(new ReaddirRequest { Fid = Root })).Entries.Select(x => x.Name));
    }

    [Fact]
    public async Task Splitting_the_stale_mirror_of_a_write_pending_file_returns_it_to_read_only()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f", Mirrors(2));
        await mds.Service.LayoutIntent(new LayoutIntentRequest { Fid = f.Attr.Fid, Op = LayoutIntentOp.IntentWrite });
        var r = await mds.Service.MirrorSplit(new MirrorSplitRequest { Fid = f.Attr.Fid, MirrorId = 2, Destroy = true });
        Assert.Equal(FlrStateMsg.FlrReadOnly, r.Layout.State);
        Assert.Equal(3u, r.Layout.Generation);
    }

    [Fact]
    public async Task Ids_of_removed_mirrors_and_components_are_never_reused_even_after_restart()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f", Mirrors(2));
        await mds.Service.MirrorSplit(new MirrorSplitRequest { Fid = f.Attr.Fid, MirrorId = 2 });
        await mds.ReopenAsync();

        var r = await mds.Service.MirrorExtend(Extend(f.Attr.Fid, Mirrors(1)));
        var added = r.Layout.Mirrors.Single(m => m.Id != 1);
        Assert.Equal(3u, added.Id);
        Assert.Equal(3u, added.Components.Single().Id); // (f, 2) objects now belong to f.mirror~2
    }
}
