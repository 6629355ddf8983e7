using Mirror.Daemon.Options;
using Mirror.Fuse.Bridge;
using Mirror.Fuse.Mount;

namespace Mirror.Daemon.Roles;

/// <summary>`mirrord mount`: a FUSE mount of a volume or a directory of the namespace (dataplane/Mirror.Fuse).</summary>
internal sealed class MountRole : IDaemonRole
{
    public string Name => "mount";

    public string Summary => "FUSE mount of a volume (or a directory) on a local mountpoint";

    public string? Positional => "MOUNTPOINT";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("--volume", "NAME", "the volume to mount (its root directory /volumes/NAME; statfs shows its quota)"),
        new("--path", "DIR", "mount this directory of the namespace instead of a volume (e.g. /)"),
        new("--mdt", "HOST:PORT", "the MDS to talk to (required, or --mds)"),
        new("--mds", "HOST:PORT", "same as --mdt"),
        new("--token-file", "FILE", "file holding the cluster token every call must carry", Required: true),
        new("--read-only", "", "mount read-only (every modification fails with EROFS)", Flag: true),
        new("--threads", "N", "threads reading /dev/fuse (default 4; requests run concurrently beyond that)"),
        new("--attr-timeout-ms", "MS", "how long the kernel may cache attributes (default 0: close-to-open across mounts)"),
        new("--entry-timeout-ms", "MS", "how long the kernel may cache names (default 0)"),
    ];

    public string? Notes =>
        "Runs as root: mount(2) of type fuse.mirror with default_permissions,allow_other (the kernel\n" +
        "checks permissions; files are created with the caller's uid/gid). The mount source in\n" +
        "/proc/self/mountinfo is mirror@HOST:PORT:/PATH (the MDS address, then the mounted directory,\n" +
        "/volumes/NAME for a volume). The ready file's address is the mountpoint. SIGTERM unmounts\n" +
        "(lazily if busy) and exits 0; if the kernel drops the session (ENODEV) it logs \"session lost\"\n" +
        "and exits 1.\n";

    public PreparedRole Prepare(ParsedOptions options)
    {
        if (options.Positionals.Count != 1)
        {
            throw new UsageException("MOUNTPOINT is required (the directory to mount on)");
        }

        var mountpoint = Path.GetFullPath(options.Positionals[0]);
        var volume = options.String("--volume");
        var path = options.String("--path");
        if ((volume is null) == (path is null))
        {
            throw new UsageException("give exactly one of --volume NAME or --path DIR");
        }

        if (volume is not null && (volume.Length == 0 || volume.Contains('/', StringComparison.Ordinal)))
        {
            throw new UsageException($"--volume '{volume}' is not a volume name");
        }

        if (path is not null && !path.StartsWith('/'))
        {
            throw new UsageException($"--path '{path}' must be absolute (start with /)");
        }

        var mds = options.HostPort("--mdt") ?? options.HostPort("--mds") ?? throw new UsageException("--mdt HOST:PORT is required");
        var token = options.ReadTokenFile("--token-file");
        var threads = options.Int("--threads", 1, 64) ?? 4;
        var attrMs = options.Int("--attr-timeout-ms", 0, 3_600_000) ?? 0;
        var entryMs = options.Int("--entry-timeout-ms", 0, 3_600_000) ?? 0;
        var readOnly = options.Flag("--read-only");
        return new PreparedRole(0, async (loggers, cancellationToken) =>
        {
            var mount = await MirrorMount.StartAsync(new MirrorMountOptions
            {
                MdsAddress = $"{mds.Host}:{mds.Port}",
                Token = token,
                Path = path ?? "/",
                Volume = volume,
                Mountpoint = mountpoint,
                Readers = threads,
                Settings = new MountSettings
                {
                    ReadOnly = readOnly,
                    AttrTimeout = TimeSpan.FromMilliseconds(attrMs),
                    EntryTimeout = TimeSpan.FromMilliseconds(entryMs),
                },
                LoggerFactory = loggers,
            }, cancellationToken).ConfigureAwait(false);
            return new RunningRole(mountpoint, null, mount.StopAsync, mount.Ended);
        });
    }
}
