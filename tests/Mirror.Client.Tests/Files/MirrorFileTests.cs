using Mirror.Client.Files;
using Mirror.Client.Metadata;
using Mirror.Client.Mirrors;
using Mirror.Client.Tests.Fakes;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;
using static Mirror.Client.Tests.Fakes.Layouts;

namespace Mirror.Client.Tests.Files;

public class MirrorFileTests
{
    private readonly FakeOstSet osts = new();

    private async Task<(MirrorClient Client, FakeMds Mds)> ClientAsync(FileLayout layout, int window = 4)
    {
        var mds = new FakeMds(layout);
        var client = await MirrorClient.CreateAsync(new MdsClient(mds.Rpc), osts, new MirrorClientOptions { MaxWritesInFlight = window });
        return (client, mds);
    }

    private static byte[] Data(int n, int seed)
    {
        var d = new byte[n];
        new Random(seed).NextBytes(d);
        return d;
    }

    [Fact]
    public async Task First_write_sends_a_write_intent_and_writes_only_the_primary()
    {
        var (client, mds) = await ClientAsync(Of(Plain(1, M1, 0), Plain(2, K64, 1, 2) with { Flags = MirrorFlags.Prefer }));
        await using var file = await client.OpenAsync("/f");
        var data = Data((int)(3 * M1), 1);

        await file.WriteAsync(0, data.AsMemory(0, (int)M1));
        await file.WriteAsync(M1, data.AsMemory((int)M1));
        await file.FsyncAsync();

        Assert.Equal(new[] { LayoutIntentOp.IntentWrite }, mds.Intents);
        Assert.Equal(FlrState.WritePending, file.Layout.State);
        Assert.True(file.Layout.Mirror(1)!.IsStale);
        Assert.False(file.Layout.Mirror(2)!.IsStale);
        Assert.Equal(0, osts[0].Writes); // the stale mirror's OST got nothing
        Assert.True(osts[1].Writes > 0 && osts[2].Writes > 0);
        var back = new byte[data.Length];
        Assert.Equal(data.Length, await file.ReadAsync(0, back));
        Assert.Equal(data, back);
        Assert.Equal(0, osts[0].Reads);
    }

    [Fact]
    public async Task Size_is_reported_at_fsync_and_close_not_before()
    {
        var (client, mds) = await ClientAsync(Of(Plain(1, M1, 0)));
        var file = await client.OpenAsync("/f");

        await file.WriteAsync(0, new byte[1000]);
        await file.WriteAsync(5000, new byte[10]);
        Assert.Empty(mds.SizeUpdates);
        Assert.Equal(5010UL, file.Size);

        await file.CloseAsync();

        Assert.Equal(new ulong[] { 5010 }, mds.SizeUpdates);
        Assert.Equal(5010UL, mds.Size);
    }

    [Fact]
    public async Task A_handle_that_only_read_reports_no_size()
    {
        var (client, mds) = await ClientAsync(Of(Plain(1, M1, 0)));
        mds.Size = 10;
        var file = await client.OpenAsync("/f");

        Assert.Equal(10, await file.ReadAsync(0, new byte[100]));
        await file.CloseAsync();

        Assert.Empty(mds.SizeUpdates);
        Assert.Empty(mds.Intents);
    }

    [Fact]
    public async Task A_failed_write_behind_surfaces_on_the_next_fsync_and_on_close()
    {
        var (client, _) = await ClientAsync(Of(Plain(1, M1, 0)));
        var file = await client.OpenAsync("/f");
        osts[0].Fault = FakeOst.Unavailable(0);

        await file.WriteAsync(0, new byte[100]); // queued: the failure is not known yet
        var onFsync = await Assert.ThrowsAsync<MirrorException>(() => file.FsyncAsync());
        var onClose = await Assert.ThrowsAsync<MirrorException>(() => file.CloseAsync());

        Assert.Equal(Errno.EHOSTUNREACH, onFsync.Errno);
        Assert.Equal(Errno.EHOSTUNREACH, onClose.Errno);
        Assert.Contains("earlier write failed", onFsync.Message);
    }

    [Fact]
    public async Task Estale_from_an_ost_refetches_the_layout_and_retries_once()
    {
        var (client, mds) = await ClientAsync(Of(Plain(1, M1, 0)));
        var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, new byte[10]);
        await file.FsyncAsync();
        mds.Layout = mds.Layout with { Generation = 9 };
        osts[0].MinGeneration = 9;

        await file.WriteAsync(10, new byte[10]);
        await file.FsyncAsync();

        Assert.Equal(9u, file.Layout.Generation);
        Assert.Equal(20, osts[0].Objects.Values.Single().Length);
    }

    [Fact]
    public async Task Truncate_sizes_every_stripe_object_and_sets_the_mds_size()
    {
        var mirror = Plain(1, K64, 0, 1, 2);
        var (client, mds) = await ClientAsync(Of(mirror));
        var file = await client.OpenAsync("/f");
        var data = Data((int)M1, 2);
        await file.WriteAsync(0, data);

        await file.TruncateAsync(100_000);

        Assert.Equal(100_000UL, mds.Size);
        Assert.Equal(100_000UL, file.Size);
        foreach (var (component, stripe, size) in MirrorMapping.ObjectSizes(mirror, 100_000))
        {
            Assert.Equal((int)size, osts[component.Osts[stripe]].Object(FakeMds.FileFid, component.Id, stripe)!.Length);
        }

        var back = new byte[200_000];
        Assert.Equal(100_000, await file.ReadAsync(0, back));
        Assert.Equal(data.AsSpan(0, 100_000).ToArray(), back.AsSpan(0, 100_000).ToArray());
        await file.CloseAsync();
    }

    [Fact]
    public async Task Fsync_syncs_only_the_osts_this_handle_wrote()
    {
        var (client, _) = await ClientAsync(Of(Plain(1, M1, 0, 1), Plain(2, M1, 2)));
        var file = await client.OpenAsync("/f");

        await file.WriteAsync(0, new byte[10]);
        await file.FsyncAsync();
        await file.FsyncAsync();

        Assert.Equal(1, osts[0].Syncs);
        Assert.Equal(0, osts[1].Syncs);
        Assert.Equal(0, osts[2].Syncs);
        await file.CloseAsync();
    }

    [Fact]
    public async Task Many_sequential_writes_through_a_small_window_land_in_order()
    {
        var (client, _) = await ClientAsync(Of(Plain(1, K64, 0, 1)), window: 2);
        var file = await client.OpenAsync("/f");
        var data = Data(3 * (int)M1, 3);

        for (var off = 0; off < data.Length; off += 100_000)
        {
            await file.WriteAsync((ulong)off, data.AsMemory(off, Math.Min(100_000, data.Length - off)));
        }

        // Overwrite a range that is probably still in flight: the later write must win.
        await file.WriteAsync(50, new byte[] { 1, 2, 3 });
        var back = new byte[data.Length];
        await file.ReadAsync(0, back);
        data[50] = 1;
        data[51] = 2;
        data[52] = 3;

        Assert.Equal(data, back);
        await file.CloseAsync();
    }

    [Fact]
    public async Task Missing_path_names_the_path()
    {
        var (client, _) = await ClientAsync(Of(Plain(1, M1, 0)));

        var e = await Assert.ThrowsAsync<MirrorException>(() => client.OpenAsync("/nope"));

        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Equal("/nope: No such file or directory", e.Message);
    }
}
