using System.Globalization;
using Mirror.Daemon.Hosting;
using Mirror.Daemon.Options;
using Mirror.Fuse.Bridge;
using Mirror.Fuse.Mount;
using Mirror.Rpc;

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
        new("--attr-timeout", "SEC", "how long the kernel may cache attributes (default 1; 0 asks the MDS at every stat)"),
        new("--entry-timeout", "SEC", "how long the kernel may cache names (default 1; 0 revalidates every path component)"),
        new("--negative-timeout", "SEC", "how long the kernel may cache \"no such name\" (default 0: a file made in another mount is seen at once)"),
        new("--metrics", "HOST:PORT", "serve /metrics and /healthz here (default 127.0.0.1:0, an ephemeral port; logged and in the ready file)"),
    ];

    public string? Notes =>
        "Runs as root: mount(2) of type fuse.mirror with default_permissions,allow_other (the kernel\n" +
        "checks permissions; files are created with the caller's uid/gid). The mount source in\n" +
        "/proc/self/mountinfo is mirror@HOST:PORT:/PATH (the MDS address, then the mounted directory,\n" +
        "/volumes/NAME for a volume). The ready file's address is the mountpoint. SIGTERM unmounts\n" +
        "(lazily if busy) and exits 0; if the kernel drops the session (ENODEV) it logs \"session lost\"\n" +
        "and exits 1.\n" +
        "\n" +
        "Caching: the kernel keeps names and attributes for --entry-timeout/--attr-timeout seconds. Within\n" +
        "that time a stat here may show the size or times a file had before another mount changed it, and a\n" +
        "name removed or replaced elsewhere may still resolve here; open(2) always asks the MDS and drops\n" +
        "stale attributes and pages (close-to-open: a file written and closed in one mount is read whole by\n" +
        "the next open in another). 0 gives exact stat across mounts at the price of one MDS call per path\n" +
        "component and stat; larger values save more calls and widen the window.\n";

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
        var attrTimeout = Seconds(options, "--attr-timeout") ?? MountSettings.DefaultTimeout;
        var entryTimeout = Seconds(options, "--entry-timeout") ?? MountSettings.DefaultTimeout;
        var negativeTimeout = Seconds(options, "--negative-timeout") ?? TimeSpan.Zero;
        var metrics = options.HostPort("--metrics") ?? ("127.0.0.1", 0);
        var readOnly = options.Flag("--read-only");
        return new PreparedRole(0, async (loggers, cancellationToken) =>
        {
            // Listening first: the instruments count from the start, and a taken port fails before mount(2).
            MetricsListener listener;
            try
            {
                listener = await MetricsListener.StartAsync(metrics.Host, metrics.Port, loggers, health: null, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new IOException($"--metrics {metrics.Host}:{metrics.Port}: {e.Message}", e);
            }

            MirrorMount mount;
            try
            {
                mount = await MirrorMount.StartAsync(new MirrorMountOptions
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
                        AttrTimeout = attrTimeout,
                        EntryTimeout = entryTimeout,
                        NegativeTimeout = negativeTimeout,
                    },
                    LoggerFactory = loggers,
                }, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await listener.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            async Task StopAsync()
            {
                try
                {
                    await mount.StopAsync().ConfigureAwait(false);
                }
                finally
                {
                    await listener.DisposeAsync().ConfigureAwait(false);
                }
            }

            return new RunningRole(mountpoint, listener.Uri, StopAsync, mount.Ended);
        });
    }

    /// <summary>A cache timeout in seconds (fractions allowed), 0 to 3600.</summary>
    internal static TimeSpan? Seconds(ParsedOptions options, string name)
    {
        if (options.String(name) is not { } text)
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) || seconds > 3600)
        {
            throw new UsageException($"{name} '{text}' is not a number of seconds from 0 to 3600");
        }

        return TimeSpan.FromSeconds(seconds);
    }
}
