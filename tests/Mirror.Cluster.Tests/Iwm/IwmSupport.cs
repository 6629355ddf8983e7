using Mirror.Client.Files;
using Mirror.Cluster.Tests.Harness;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;

namespace Mirror.Cluster.Tests.Iwm;

/// <summary>Layouts, data and checks shared by the IWM scenarios.</summary>
internal static class IwmSupport
{
    public const int M = 1024 * 1024;

    public static byte[] Data(int n, int seed)
    {
        var d = new byte[n];
        new Random(seed).NextBytes(d);
        return d;
    }

    /// <summary>One mirror per entry: stripe count, stripe size, explicit OSTs (or a pool) and flags.</summary>
    public static LayoutSpec Spec(params (int Count, uint Size, uint[] Osts, string Pool, MirrorFlags Flags)[] mirrors)
    {
        var spec = new LayoutSpec();
        foreach (var (count, size, osts, pool, flags) in mirrors)
        {
            var component = new ComponentSpec { End = LayoutComponent.EndOfFile, StripeCount = count, StripeSize = size, Pool = pool };
            component.Osts.AddRange(osts);
            var mirror = new MirrorSpec { Flags = (uint)flags };
            mirror.Components.Add(component);
            spec.Mirrors.Add(mirror);
        }

        return spec;
    }

    /// <summary>Three single-stripe IMMEDIATE mirrors on OSTs 0, 1, 2 (ids 1, 2, 3); <paramref name="prefer"/> gets PREFER.</summary>
    public static LayoutSpec ThreeImmediate(ushort prefer = 0) => Spec(
        (1, (uint)M, [0], "", MirrorFlags.Immediate | (prefer == 1 ? MirrorFlags.Prefer : 0)),
        (1, (uint)M, [1], "", MirrorFlags.Immediate | (prefer == 2 ? MirrorFlags.Prefer : 0)),
        (1, (uint)M, [2], "", MirrorFlags.Immediate | (prefer == 3 ? MirrorFlags.Prefer : 0)));

    /// <summary>Reads the whole file through a fresh handle (the client reads readable mirrors only, invariant 3).</summary>
    public static async Task<byte[]> ReadAllAsync(MirrorClient client, string path)
    {
        await using var file = await client.OpenAsync(path);
        var back = new byte[(int)file.Size];
        var n = await file.ReadAsync(0, back);
        Assert.Equal(back.Length, n);
        return back;
    }

    /// <summary>`mirrorctl mirror verify [--only IDS] FILE` through the real CLI; asserts exit 0.</summary>
    public static async Task VerifyPassesAsync(IwmCluster cluster, string path, params ushort[] only)
    {
        var args = new List<string> { "mirror", "verify", "-v" };
        if (only.Length > 0)
        {
            args.AddRange(["--only", string.Join(',', only)]);
        }

        args.Add(path);
        var result = await cluster.Cluster.RunCtlAsync([.. args]);
        Assert.True(result.Exit == 0, $"mirror verify {string.Join(' ', args.Skip(2))}: {result}");
    }

    /// <summary>`mirrorctl mirror resync FILE`, then every mirror is in sync and `mirror verify` passes.</summary>
    public static async Task ResyncAndVerifyAllAsync(IwmCluster cluster, MirrorClient client, string path)
    {
        var resync = await cluster.Cluster.RunCtlAsync("mirror", "resync", path);
        Assert.True(resync.Exit == 0, $"mirror resync {path}: {resync}");
        var layout = (await client.GetLayoutAsync(path)).Layout;
        Assert.True(layout.Mirrors.All(m => m.IsReadable), $"after resync: {IwmCluster.Describe(layout)}");
        Assert.Equal(FlrState.ReadOnly, layout.State);
        await VerifyPassesAsync(cluster, path);
    }

    /// <summary>The flags of mirror <paramref name="id"/> as `getstripe --json` prints them (the CLI's view of the layout).</summary>
    public static async Task<string[]> CliFlagsAsync(IwmCluster cluster, string path, int id)
    {
        var result = await cluster.Cluster.RunCtlAsync("getstripe", "--json", path);
        Assert.True(result.Exit == 0, $"getstripe --json {path}: {result}");
        using var doc = System.Text.Json.JsonDocument.Parse(result.Stdout);
        var mirror = doc.RootElement.GetProperty("mirrors").EnumerateArray().Single(m => m.GetProperty("mirror_id").GetInt32() == id);
        return [.. mirror.GetProperty("flags").EnumerateArray().Select(f => f.GetString()!)];
    }
}

/// <summary>One IWM cluster for the scenarios that leave every process running (each uses its own file).</summary>
public sealed class IwmClusterFixture : IAsyncLifetime
{
    public IwmCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await IwmCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
