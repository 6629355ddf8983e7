using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;

namespace Mirror.Client.Tests.Cluster;

/// <summary>The client against a real MDS and real OSTs (in-process, ephemeral ports, temp data dirs).</summary>
public class ClusterFileTests
{
    private const uint M = 1024 * 1024;

    internal static byte[] Data(int n, int seed)
    {
        var d = new byte[n];
        new Random(seed).NextBytes(d);
        return d;
    }

    internal static LayoutSpec Spec(params (int Count, uint Size, uint[] Osts, MirrorFlags Flags)[] mirrors)
    {
        var spec = new LayoutSpec();
        foreach (var (count, size, ostList, flags) in mirrors)
        {
            var component = new ComponentSpec { End = LayoutComponent.EndOfFile, StripeCount = count, StripeSize = size };
            component.Osts.AddRange(ostList);
            var mirror = new MirrorSpec { Flags = (uint)flags };
            mirror.Components.Add(component);
            spec.Mirrors.Add(mirror);
        }

        return spec;
    }

    [Fact]
    public async Task Create_write_close_then_reopen_and_read_back()
    {
        await using var cluster = await TestCluster.StartAsync("", "", "");
        await using var client = await cluster.ConnectAsync();
        var data = Data((int)(9 * M + 4321), 1);

        await using (var file = await client.CreateAsync("/f", Spec((3, M, [], MirrorFlags.None)), exclusive: true))
        {
            for (var off = 0; off < data.Length; off += (int)M)
            {
                await file.WriteAsync((ulong)off, data.AsMemory(off, Math.Min((int)M, data.Length - off)));
            }
        }

        Assert.Equal((ulong)data.Length, (await client.StatAsync("/f")).Size);
        await using var again = await client.OpenAsync("/f");
        var back = new byte[data.Length + 100];
        var n = await again.ReadAsync(0, back);
        Assert.Equal(data.Length, n);
        Assert.Equal(data, back.AsSpan(0, n).ToArray());
        Assert.Equal(3, again.Layout.Mirrors.Single().Components.Single().Osts.Distinct().Count());
    }

    [Fact]
    public async Task Sparse_regions_read_as_zeros_and_truncate_cuts_the_file()
    {
        await using var cluster = await TestCluster.StartAsync("", "");
        await using var client = await cluster.ConnectAsync();
        await using var file = await client.CreateAsync("/sparse", Spec((2, 64 * 1024, [], MirrorFlags.None)));
        await file.WriteAsync(3 * M, new byte[] { 7, 7, 7 });
        await file.FsyncAsync();

        var back = new byte[3 * M + 3];
        Assert.Equal(back.Length, await file.ReadAsync(0, back));
        Assert.All(back.AsSpan(0, (int)(3 * M)).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(7, back[^1]);

        await file.TruncateAsync(100);
        Assert.Equal(100UL, (await client.StatAsync("/sparse")).Size);
        Assert.Equal(100, await file.ReadAsync(0, back));
    }

    [Fact]
    public async Task Write_intent_stales_the_secondary_resync_clears_it_and_verify_passes()
    {
        await using var cluster = await TestCluster.StartAsync("", "", "", "");
        await using var client = await cluster.ConnectAsync();
        var data = Data((int)(5 * M), 2);
        await using (var file = await client.CreateAsync("/m", Spec((1, M, [0], MirrorFlags.Prefer), (2, 256 * 1024, [1, 2], MirrorFlags.None))))
        {
            await file.WriteAsync(0, data);
            Assert.Equal(FlrState.WritePending, file.Layout.State);
        }

        var written = (await client.GetLayoutAsync("/m")).Layout;
        Assert.False(written.Mirror(1)!.IsStale);
        Assert.True(written.Mirror(2)!.IsStale);

        var resync = await client.ResyncAsync("/m");
        Assert.Equal(new ushort[] { 2 }, resync.Synced);
        var synced = (await client.GetLayoutAsync("/m")).Layout;
        Assert.Equal(FlrState.ReadOnly, synced.State);
        Assert.All(synced.Mirrors, m => Assert.False(m.IsStale));

        var verify = await client.VerifyAsync("/m");
        Assert.True(verify.Identical, verify.Describe());
        Assert.Equal(verify.Checksums[1], verify.Checksums[2]);
    }

    [Fact]
    public async Task Reads_fail_over_to_the_other_mirror_when_an_ost_is_stopped()
    {
        await using var cluster = await TestCluster.StartAsync("", "");
        await using var client = await cluster.ConnectAsync();
        var data = Data((int)(2 * M + 5), 3);
        await using (var file = await client.CreateAsync("/ha", Spec((1, M, [0], MirrorFlags.Prefer), (1, M, [1], MirrorFlags.None))))
        {
            await file.WriteAsync(0, data);
        }

        await client.ResyncAsync("/ha");
        await cluster.StopOstAsync(0);

        await using var reader = await client.OpenAsync("/ha");
        var back = new byte[data.Length];
        Assert.Equal(data.Length, await reader.ReadAsync(0, back));
        Assert.Equal(data, back);
    }

    [Fact]
    public async Task An_ost_restarted_on_a_new_port_is_found_again()
    {
        await using var cluster = await TestCluster.StartAsync("");
        await using var client = await cluster.ConnectAsync();
        await using var file = await client.CreateAsync("/r");
        await file.WriteAsync(0, new byte[] { 1, 2, 3 });
        await file.FsyncAsync();
        var before = cluster.OstAddress(0);

        await cluster.StopOstAsync(0);
        await cluster.StartOstAsync(0);
        await cluster.WaitForOstsUpAsync();
        await file.WriteAsync(3, new byte[] { 4 });
        await file.FsyncAsync();

        Assert.NotEqual(before, cluster.OstAddress(0));
        var back = new byte[4];
        Assert.Equal(4, await file.ReadAsync(0, back));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, back);
    }

    [Fact]
    public async Task Extend_adds_an_in_sync_mirror_and_split_destroys_it()
    {
        await using var cluster = await TestCluster.StartAsync("", "", "");
        await using var client = await cluster.ConnectAsync();
        var data = Data((int)(3 * M), 4);
        await using (var file = await client.CreateAsync("/e"))
        {
            await file.WriteAsync(0, data);
        }

        var extended = await client.ExtendAsync("/e", Spec((2, 128 * 1024, [], MirrorFlags.None)));
        Assert.Equal(2, extended.Mirrors.Count);
        Assert.All(extended.Mirrors, m => Assert.False(m.IsStale));
        Assert.True((await client.VerifyAsync("/e")).Identical);

        var unknown = await Assert.ThrowsAsync<MirrorException>(() => client.SplitAsync("/e", 7, destroy: true));
        Assert.Equal("unknown mirror id 7 in /e", unknown.Message);

        var split = await client.SplitAsync("/e", 1, destroy: true);
        Assert.Equal(new ushort[] { 2 }, split.Mirrors.Select(m => m.Id));
        await using var reader = await client.OpenAsync("/e");
        var back = new byte[data.Length];
        await reader.ReadAsync(0, back);
        Assert.Equal(data, back);
    }

    [Fact]
    public async Task Migrate_restripes_and_keeps_the_data()
    {
        await using var cluster = await TestCluster.StartAsync("", "", "");
        await using var client = await cluster.ConnectAsync();
        var data = Data((int)(6 * M + 17), 5);
        await using (var file = await client.CreateAsync("/mig", Spec((1, M, [], MirrorFlags.None))))
        {
            await file.WriteAsync(0, data);
        }

        var layout = await client.MigrateAsync("/mig", Spec((3, 256 * 1024, [], MirrorFlags.None)));

        var component = layout.Mirrors.Single().Components.Single();
        Assert.Equal(3u, component.StripeCount);
        Assert.Equal(256u * 1024, component.StripeSize);
        await using var reader = await client.OpenAsync("/mig");
        var back = new byte[data.Length];
        Assert.Equal(data.Length, await reader.ReadAsync(0, back));
        Assert.Equal(data, back);
        Assert.Equal(["mig"], (await client.ReaddirAsync("/")).Select(e => e.Name).Where(n => n is not "." and not ".."));
    }

    [Fact]
    public async Task Namespace_operations_name_the_path_in_errors()
    {
        await using var cluster = await TestCluster.StartAsync("");
        await using var client = await cluster.ConnectAsync();
        await client.MkdirAsync("/d");
        await using (await client.CreateAsync("/d/f"))
        {
        }

        var missing = await Assert.ThrowsAsync<MirrorException>(() => client.StatAsync("/nope"));
        var exists = await Assert.ThrowsAsync<MirrorException>(() => client.CreateAsync("/d/f", exclusive: true));
        await client.RenameAsync("/d/f", "/d/g");
        var entries = await client.ReaddirAsync("/d");

        Assert.Equal("/nope: No such file or directory", missing.Message);
        Assert.Equal(Errno.EEXIST, exists.Errno);
        Assert.Equal("/d/f: File exists", exists.Message);
        Assert.Contains(entries, e => e.Name == "g");
    }
}
