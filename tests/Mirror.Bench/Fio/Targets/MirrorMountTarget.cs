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
    private readonly string volume = $"bench-fio-{mirrors}";

    /// <summary>Room for the data file and its mirrors, well below the scratch disk's free space.</summary>
    private const ulong VolumeCapacity = 64UL << 30;

    private Process? mount;
    private Fid? dataFid;

    public int Mirrors => mirrors;

    public string Name => mirrors == 1 ? FioTable.Mirror1 : FioTable.Mirror2;

    public string? Note =>
        $"mirrord mount --volume {volume}; the volume's default layout is {mirrors} IMMEDIATE mirror(s) (pools {string.Join(", ", Pools.Take(mirrors))}, 1 stripe each), so the fio file and the metadata files get it";

    public async Task<string> SetUpAsync(CancellationToken ct)
    {
        var daemon = Path.Combine(AppContext.BaseDirectory, "mirrord.dll");
        var (code, help, _) = await Shell.TryRunAsync("dotnet", [daemon, "mount", "--help"], ct);
        if (code != 0 || !help.Contains("mount", StringComparison.Ordinal))
        {
            throw new TargetUnavailableException("mount not available: mirrord has no mount role in this build");
        }

        // A volume whose default layout is the IMMEDIATE mirrors: every file made through the mount gets it,
        // the fio data file and the metadata job's files alike.
        var client = await host.ClientAsync(ct);
        await client.Mds.CreateVolumeAsync(volume, VolumeCapacity, layout: Layout(mirrors), ct: ct);
        Directory.CreateDirectory(mountpoint);
        var ready = Path.Combine(scratch, $"mirror{mirrors}-mount.ready");
        mount = Shell.StartDaemon("dotnet",
            [daemon, "mount", "--mdt", host.MdsAddress, "--token-file", host.TokenFile, "--volume", volume, "--ready-file", ready, mountpoint],
            Path.Combine(scratch, $"mirror{mirrors}-mount.log"));
        await FuseMount.WaitMountedAsync(mountpoint, TimeSpan.FromSeconds(30), () => mount.HasExited, ct);
        return mountpoint;
    }

    /// <summary>Through the mount like on every target; the FID is kept to check fio wrote into this file.</summary>
    public async Task CreateDataFileAsync(string path, long sizeMiB, CancellationToken ct)
    {
        using (var h = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(h, sizeMiB << 20);
        }

        dataFid = (await (await host.ClientAsync(ct)).StatAsync(FsPath(path), ct)).Fid;
    }

    /// <summary>fio must have written into the file made above (same FID) and its mirrors must all be IMMEDIATE.</summary>
    public async Task<string?> CheckDataFileAsync(string path, CancellationToken ct)
    {
        var client = await host.ClientAsync(ct);
        var (attr, layout) = await client.GetLayoutAsync(FsPath(path), ct);
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

    private string FsPath(string path) => $"/volumes/{volume}/{Path.GetRelativePath(mountpoint, path)}";

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
