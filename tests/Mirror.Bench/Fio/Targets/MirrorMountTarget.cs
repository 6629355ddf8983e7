using System.Diagnostics;
using Mirror.Core;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;

namespace Mirror.Bench.Fio.Targets;

/// <summary>
/// Our mount (`mirrord mount`, real processes) of a directory whose files get <see cref="Mirrors"/>
/// IMMEDIATE mirrors (IWM: every write goes to all of them at once), each mirror on its own OST.
/// </summary>
internal sealed class MirrorMountTarget(MirrorClusterHost host, string scratch, int mirrors) : IBenchTarget
{
    private static readonly string[] Pools = ["flash", "archive"];
    private readonly string mountpoint = Path.Combine(scratch, $"mirror{mirrors}-mnt");
    private readonly string fsDir = $"/bench-fio-{mirrors}";
    private Process? mount;
    private Fid? dataFid;

    public int Mirrors => mirrors;

    public string Name => mirrors == 1 ? FioTable.Mirror1 : FioTable.Mirror2;

    public string? Note =>
        $"mounted with --path {fsDir}; the fio file is created with {mirrors} IMMEDIATE mirror(s) through the client, the metadata job's files get the MDS default layout (no directory default layout without volumes)";

    public async Task<string> SetUpAsync(CancellationToken ct)
    {
        var daemon = Path.Combine(AppContext.BaseDirectory, "mirrord.dll");
        var (code, help, _) = await Shell.TryRunAsync("dotnet", [daemon, "mount", "--help"], ct);
        if (code != 0 || !help.Contains("mount", StringComparison.Ordinal))
        {
            throw new TargetUnavailableException("mount not available: mirrord has no mount role in this build");
        }

        var client = await host.ClientAsync(ct);
        await client.MkdirAsync(fsDir, ct: ct);
        Directory.CreateDirectory(mountpoint);
        var ready = Path.Combine(scratch, $"mirror{mirrors}-mount.ready");
        mount = Shell.StartDaemon("dotnet",
            [daemon, "mount", "--mdt", host.MdsAddress, "--token-file", host.TokenFile, "--path", fsDir, "--ready-file", ready, mountpoint],
            Path.Combine(scratch, $"mirror{mirrors}-mount.log"));
        await FuseMount.WaitMountedAsync(mountpoint, TimeSpan.FromSeconds(30), () => mount.HasExited, ct);
        return mountpoint;
    }

    /// <summary>
    /// The data file gets its IMMEDIATE layout through the client before fio opens it through the mount
    /// (a directory default layout needs volumes; until then the metadata job's files get the MDS default).
    /// </summary>
    public async Task CreateDataFileAsync(string path, long sizeMiB, CancellationToken ct)
    {
        var client = await host.ClientAsync(ct);
        var fsPath = fsDir + "/" + Path.GetRelativePath(mountpoint, path);
        await using var f = await client.CreateAsync(fsPath, Layout(mirrors), ct: ct);
        await f.TruncateAsync((ulong)sizeMiB << 20, ct);
        dataFid = (await client.StatAsync(fsPath, ct)).Fid;
    }

    /// <summary>fio must have written into the file made above (same FID) and its mirrors must all be IMMEDIATE.</summary>
    public async Task<string?> CheckDataFileAsync(string path, CancellationToken ct)
    {
        var client = await host.ClientAsync(ct);
        var (attr, layout) = await client.GetLayoutAsync(fsDir + "/" + Path.GetRelativePath(mountpoint, path), ct);
        var text = $"{attr.Fid} {attr.Size >> 20} MiB, " + string.Join("; ", layout.Mirrors.Select(m =>
            $"mirror {m.Id} [{MirrorFlagNames.Format(m.Flags)}] OST {string.Join(',', m.OstIndexes)}"));
        if (attr.Fid != dataFid || layout.Mirrors.Count != mirrors || !layout.Mirrors.All(m => m.IsImmediate))
        {
            throw new InvalidOperationException($"the data file is not the {mirrors}-IMMEDIATE-mirror file created for the jobs: {text}");
        }

        return text;
    }

    public async ValueTask DisposeAsync()
    {
        if (mount is not null)
        {
            // SIGTERM unmounts (umount2) and ends the mount daemon.
            Shell.Stop(mount, TimeSpan.FromSeconds(15));
            mount.Dispose();
        }

        await FuseMount.UnmountAsync(mountpoint);
        if (Directory.Exists(mountpoint) && !FuseMount.IsMounted(mountpoint))
        {
            Directory.Delete(mountpoint);
        }
    }

    private static LayoutSpec Layout(int mirrors)
    {
        var spec = new LayoutSpec();
        for (var i = 0; i < mirrors; i++)
        {
            var mirror = new MirrorSpec { Flags = (uint)MirrorFlags.Immediate };
            mirror.Components.Add(new ComponentSpec { End = ulong.MaxValue, Pool = Pools[i % Pools.Length], StripeCount = 1 });
            spec.Mirrors.Add(mirror);
        }

        return spec;
    }
}
