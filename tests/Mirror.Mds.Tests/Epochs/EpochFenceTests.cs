using Mirror.Protocol.Mds;

namespace Mirror.Mds.Tests.Epochs;

/// <summary>IWM §2.2.6: an evicted writer's objects are fenced on every OST of every mirror before the close is final.</summary>
public class EpochFenceTests
{
    [Fact]
    public async Task An_evicted_writers_close_fences_every_OST_of_every_mirror_at_the_close_generation()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 3);
        var osts = mds.Layout(fid).Mirrors.SelectMany(m => m.Components.SelectMany(c => c.Osts)).Select(o => $"127.0.0.1:{7000 + o}").Distinct().Order().ToArray();
        var client = await mds.ConnectAsync("c1");
        await mds.AwAsync(client, fid);
        var open = mds.Layout(fid).Generation;

        await mds.Service.EvictClient(new EvictClientRequest { ClientId = client });
        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "the close after eviction");

        var closed = mds.Layout(fid);
        Assert.Equal(osts, mds.Fences.Select(f => f.Address).Distinct().Order().ToArray());
        Assert.All(mds.Fences, f => Assert.Equal(open + 1, f.Generation));
        Assert.Equal(open + 1, closed.Generation);
        Assert.Equal([false, true, true], closed.Mirrors.Select(m => m.IsStale)); // the primary was fenced: it stays the clean copy
    }

    [Fact]
    public async Task A_clean_close_fences_nothing()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 2);
        var client = await mds.ConnectAsync("c1");
        var aw = await mds.AwAsync(client, fid);

        await mds.CancelAsync(client, aw.LockHandle);
        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "the clean close");

        Assert.Empty(mds.Fences);
    }

    [Fact]
    public async Task A_primary_whose_OST_cannot_be_fenced_is_not_trusted_and_closes_stale()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 3);
        var primaryOst = mds.Layout(fid).Mirrors[0].Components[0].Osts[0];
        lock (mds.FenceFails)
        {
            mds.FenceFails.Add($"127.0.0.1:{7000 + primaryOst}");
        }

        var client = await mds.ConnectAsync("c1");
        await mds.AwAsync(client, fid);
        await mds.Service.EvictClient(new EvictClientRequest { ClientId = client });
        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "the close after eviction");

        Assert.All(mds.Layout(fid).Mirrors, m => Assert.True(m.IsStale, $"mirror {m.Id} should be STALE"));
        Assert.DoesNotContain(mds.Fences, f => f.Address == $"127.0.0.1:{7000 + primaryOst}");
    }
}
