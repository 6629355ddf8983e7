using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

public sealed class LayoutSpecTests
{
    private const ulong MiB = 1024 * 1024;

    [Fact]
    public async Task Pfl_spec_with_heterogeneous_mirrors_becomes_the_layout_asked_for()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        // lfs mirror create -N -E 4M -p flash --flags=prefer -E eof -c 2 -N -E 16M -S 8M -c 4 -p archive -E eof -c -1
        var spec = Spec(
            MirrorOf(MirrorFlags.Prefer, Comp(4 * MiB, pool: "flash"), Comp(Eof, count: 2, pool: "flash")),
            MirrorOf(Comp(16 * MiB, count: 4, pool: "archive", size: 8 * (uint)MiB), Comp(Eof, count: -1, pool: "archive")));
        var f = await mds.CreateAsync("f", spec);

        var m1 = f.Layout.Mirrors[0];
        var m2 = f.Layout.Mirrors[1];
        Assert.Equal([1u, 2u], f.Layout.Mirrors.Select(m => m.Id));
        Assert.Equal((uint)MirrorFlags.Prefer, m1.Flags);
        Assert.Equal([(0ul, 4 * MiB), (4 * MiB, Eof)], m1.Components.Select(c => (c.Start, c.End)));
        Assert.Equal([(0ul, 16 * MiB), (16 * MiB, Eof)], m2.Components.Select(c => (c.Start, c.End)));
        Assert.Equal(1u, m1.Components[0].StripeCount);
        Assert.Equal(2u, m1.Components[1].StripeCount);
        Assert.Equal(2u, m2.Components[0].StripeCount); // 4 asked, pool has 2: capped as lfs does
        Assert.Equal(8u * (uint)MiB, m2.Components[0].StripeSize);
        Assert.Equal(2u, m2.Components[1].StripeCount); // -1 = every OST of the pool
        Assert.All(m1.Components.SelectMany(c => c.Osts), o => Assert.True(o < 2));
        Assert.All(m2.Components.SelectMany(c => c.Osts), o => Assert.True(o >= 2));
        Assert.Equal(4, f.Layout.Mirrors.SelectMany(m => m.Components).Select(c => c.Id).Distinct().Count());
    }

    [Fact]
    public async Task Explicit_osts_must_exist()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var ok = new ComponentSpec { End = Eof };
        ok.Osts.Add(3);
        Assert.Equal([3u], (await mds.CreateAsync("f", Spec(MirrorOf(ok)))).Layout.Mirrors[0].Components[0].Osts);
        var bad = new ComponentSpec { End = Eof };
        bad.Osts.Add(9);
        var e = await Fails(Errno.EINVAL, () => mds.CreateAsync("g", Spec(MirrorOf(bad))));
        Assert.Contains("OST 9", e.Message);
    }

    public static TheoryData<string, LayoutSpec, string> BadSpecs() => new()
    {
        { "17 mirrors", Mirrors(17), "at most 16 mirrors" },
        { "decreasing ends", Spec(MirrorOf(Comp(8 * MiB), Comp(4 * MiB), Comp())), "4194304" },
        { "last not EOF", Spec(MirrorOf(Comp(8 * MiB))), "EOF" },
        { "unknown pool", Spec(MirrorOf(Comp(pool: "nvme"))), "nvme" },
        { "bad stripe size", Spec(MirrorOf(Comp(size: 1000))), "1000" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public async Task Bad_create_specs_are_EINVAL_and_change_nothing(string what, LayoutSpec spec, string named)
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var before = await mds.ChangelogAsync();
        var e = await Fails(Errno.EINVAL, () => mds.CreateAsync("f", spec));
        Assert.Contains(named, e.Message);
        await Fails(Errno.ENOENT, () => mds.Service.Lookup(new LookupRequest { Parent = Root, Name = "f" }));
        Assert.Equal(before, await mds.ChangelogAsync());
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public async Task A_pool_whose_osts_are_all_down_is_EINVAL_naming_it()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        mds.Clock.Advance(TimeSpan.FromSeconds(7));
        await mds.RegisterOstAsync(2, "archive", "hdd", "rack2");
        await mds.RegisterOstAsync(3, "archive", "hdd", "rack3");
        var e = await Fails(Errno.EINVAL, () => mds.CreateAsync("f", Mirrors(1, "flash")));
        Assert.Contains("'flash'", e.Message);
        var osts = await mds.Service.ListOsts(new Protocol.Empty());
        Assert.Equal([false, false, true, true], osts.Osts.Select(o => o.Up));
        Assert.All((await mds.CreateAsync("g", Mirrors(1))).Layout.Mirrors[0].Components[0].Osts, o => Assert.True(o >= 2));
    }

    [Fact]
    public async Task Ost_registration_is_an_upsert_but_a_second_uuid_for_an_index_is_refused()
    {
        await using var mds = await StartAsync();
        await mds.RegisterOstAsync(0, "flash", "ssd", "rack0");
        await mds.RegisterOstAsync(0, "flash2", "ssd", "rack0");
        Assert.Equal("flash2", (await mds.Service.ListOsts(new Protocol.Empty())).Osts.Single().Pool);
        var e = await Assert.ThrowsAsync<Rpc.RpcException>(() => mds.RegisterOstAsync(0, "flash", "ssd", "rack0", uuid: "intruder"));
        Assert.Equal(Rpc.StatusCode.FailedPrecondition, e.Status);
        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Contains("intruder", e.Message);
    }
}
