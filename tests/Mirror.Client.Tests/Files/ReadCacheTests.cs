using System.Diagnostics.Metrics;
using Mirror.Client.Files;
using Mirror.Client.Tests.Fakes;
using Mirror.Core.Layouts;
using static Mirror.Client.Tests.Fakes.Layouts;

namespace Mirror.Client.Tests.Files;

/// <summary>IWM §2.2.7.3: cached data survives a STATE_ONLY_CHANGE layout exactly one generation newer, nothing else.</summary>
public class ReadCacheTests : IwmTestBase
{
    private static FileLayout Gen(uint generation, bool stateOnly) => Of(Plain(1, K64, 0)) with { Generation = generation, StateOnlyChange = stateOnly };

    [Theory]
    [InlineData(6, true, true)]
    [InlineData(6, false, false)]
    [InlineData(7, true, false)]
    public void Keeps_data_only_for_a_state_only_change_one_generation_newer(uint next, bool stateOnly, bool kept)
    {
        var cache = new ReadCache(1024);
        cache.Store(100, new byte[] { 1, 2, 3 }, 5, cache.Version);

        Assert.Equal(kept, cache.OnLayout(Gen(next, stateOnly)));

        var back = new byte[3];
        Assert.Equal(kept, cache.TryRead(100, back, next));
        Assert.Equal(kept ? 0 : 1, cache.Drops);
    }

    [Fact]
    public void A_read_that_started_before_an_invalidation_does_not_store()
    {
        var cache = new ReadCache(1024);
        var seen = cache.Version;
        cache.Invalidate(0, 10);

        cache.Store(0, new byte[] { 9 }, 1, seen);

        Assert.False(cache.HasData);
    }

    [Fact]
    public async Task A_write_through_one_handle_is_seen_by_another_handle_of_the_same_client()
    {
        var (client, _) = await ClientAsync();
        await using (var first = await client.OpenAsync("/f"))
        {
            await first.WriteAsync(0, Data(4096, 1));
        }

        await using var reader = await client.OpenAsync("/f");
        await using var writer = await client.OpenAsync("/f");
        var back = new byte[4096];
        await reader.ReadAsync(0, back);
        Assert.True(reader.Cache.HasData);
        var fresh = Data(4096, 2);

        await writer.WriteAsync(0, fresh);
        await writer.FsyncAsync();
        await reader.ReadAsync(0, back);

        Assert.Same(reader.Cache, writer.Cache);
        Assert.Equal(fresh, back);
    }

    [Fact]
    public async Task A_handle_keeps_its_cache_across_the_epoch_close_and_drops_it_on_a_structural_change()
    {
        long drops = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "Mirror.Client" && i.Name == "mirror_client_layout_cache_drops_total")
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref drops, v));
        listener.Start();
        var (client, mds) = await ClientAsync();
        await using var file = await client.OpenAsync("/f");
        var data = Data(4096, 1);
        await file.WriteAsync(0, data);
        await file.FsyncAsync();
        var back = new byte[4096];
        await file.ReadAsync(0, back);
        var readsBefore = Osts[0].Reads;

        // Epoch close: a STATE_ONLY_CHANGE one generation newer; the LAYOUT callback makes the handle refetch.
        await client.Locks!.ReleaseAsync(client.Locks.ActiveWriters.Single(), "test");
        await client.Locks.HandleCallbackAsync(new Protocol.Mds.LockCallback { LockHandle = client.Locks.For(FakeMds.FileFid).LayoutHandle, Fid = Mirror.Protocol.LayoutConversion.ToMsg(FakeMds.FileFid), Bits = (uint)Protocol.Mds.LockBit.Layout });
        await file.ReadAsync(0, back);

        Assert.Equal(readsBefore, Osts[0].Reads);
        Assert.Equal(mds.Layout.Generation, file.Layout.Generation);
        Assert.True(file.Cache.HasData);

        // A structural change (not state-only): the cached data goes.
        mds.Layout = mds.Layout with { Generation = mds.Layout.Generation + 1, StateOnlyChange = false };
        await client.Locks.HandleCallbackAsync(new Protocol.Mds.LockCallback { LockHandle = client.Locks.For(FakeMds.FileFid).LayoutHandle, Fid = Mirror.Protocol.LayoutConversion.ToMsg(FakeMds.FileFid), Bits = (uint)Protocol.Mds.LockBit.Layout });
        await file.ReadAsync(0, back);

        Assert.Equal(data, back);
        Assert.Equal(readsBefore + 1, Osts[0].Reads);
        Assert.Equal(1, file.Cache.Drops);
        listener.RecordObservableInstruments();
        Assert.True(Interlocked.Read(ref drops) >= 1);
    }
}
