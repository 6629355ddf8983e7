using Mirror.Mds.Layouts;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

public sealed class PlacementTests
{
    private static readonly OstCandidate[] FourDomains =
    [
        new(0, "rack0", 100, 50), new(1, "rack1", 100, 50), new(2, "rack2", 100, 50), new(3, "rack3", 100, 50),
    ];

    [Fact]
    public void Avoids_osts_and_domains_of_other_mirrors_when_it_can()
    {
        var r = Placement.Choose(FourDomains, 2, new HashSet<int> { 0, 1 }, new HashSet<string> { "rack0", "rack1" }, cursor: 0);
        Assert.Equal([2, 3], r.Osts.Order());
        Assert.False(r.ReusedOst);
    }

    [Fact]
    public void Prefers_a_new_failure_domain_over_a_new_ost_in_a_used_domain()
    {
        OstCandidate[] osts = [new(0, "rackA", 100, 50), new(1, "rackA", 100, 50), new(2, "rackB", 100, 50)];
        var r = Placement.Choose(osts, 1, new HashSet<int> { 0 }, new HashSet<string> { "rackA" }, cursor: 0);
        Assert.Equal([2], r.Osts);
    }

    [Fact]
    public void Reuses_when_the_pool_is_too_small_and_says_so()
    {
        var r = Placement.Choose(FourDomains[..1], 1, new HashSet<int> { 0 }, new HashSet<string> { "rack0" }, cursor: 0);
        Assert.Equal([0], r.Osts);
        Assert.True(r.ReusedOst);
        Assert.True(r.ReusedFailureDomain);
    }

    [Fact]
    public void Prefers_free_space_then_round_robin_and_is_deterministic()
    {
        OstCandidate[] osts = [new(0, "r0", 100, 10), new(1, "r1", 100, 90), new(2, "r2", 100, 90)];
        var none = new HashSet<int>();
        var noDomains = new HashSet<string>();
        Assert.Equal([1], Placement.Choose(osts, 1, none, noDomains, 0).Osts);
        Assert.Equal([2], Placement.Choose(osts, 1, none, noDomains, 2).Osts);
        Assert.Equal(Placement.Choose(osts, 3, none, noDomains, 5).Osts, Placement.Choose(osts, 3, none, noDomains, 5).Osts);
        Assert.Equal([1, 2, 0], Placement.Choose(osts, 5, none, noDomains, 0).Osts);
    }

    [Fact]
    public async Task Mirrors_of_a_file_land_on_distinct_osts_and_failure_domains()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        for (var i = 0; i < 5; i++)
        {
            var f = await mds.CreateAsync($"f{i}", Mirrors(4));
            var osts = f.Layout.Mirrors.Select(m => m.Components[0].Osts.Single()).ToList();
            Assert.Equal(4, osts.Distinct().Count());
        }

        var flash = await mds.CreateAsync("two", Mirrors(2, "flash"));
        Assert.Equal([0u, 1u], flash.Layout.Mirrors.Select(m => m.Components[0].Osts.Single()).Order());
        var crowded = await mds.CreateAsync("three", Mirrors(3, "flash"));
        Assert.Equal(2, crowded.Layout.Mirrors.Select(m => m.Components[0].Osts.Single()).Distinct().Count());
    }

    [Fact]
    public async Task Default_layouts_round_robin_over_the_osts()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var used = new HashSet<uint>();
        for (var i = 0; i < 4; i++)
        {
            used.Add((await mds.CreateAsync($"f{i}")).Layout.Mirrors[0].Components[0].Osts.Single());
        }

        Assert.Equal(4, used.Count);
    }
}
