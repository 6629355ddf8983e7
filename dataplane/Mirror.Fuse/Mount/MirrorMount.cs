using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Client.Files;
using Mirror.Client.Metadata;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Fuse.Bridge;
using Mirror.Fuse.Kernel;

namespace Mirror.Fuse.Mount;

/// <summary>What to mount where.</summary>
public sealed record MirrorMountOptions
{
    public required string MdsAddress { get; init; }

    public string? Token { get; init; }

    /// <summary>The directory of the namespace to mount; ignored when <see cref="Volume"/> is set.</summary>
    public string Path { get; init; } = "/";

    /// <summary>The volume to mount (GetVolume: its root directory /volumes/NAME), or null to mount <see cref="Path"/>.</summary>
    public string? Volume { get; init; }

    public required string Mountpoint { get; init; }

    public MountSettings Settings { get; init; } = new();

    /// <summary>Threads blocked in read(2) on /dev/fuse.</summary>
    public int Readers { get; init; } = 4;

    public ILoggerFactory? LoggerFactory { get; init; }
}

/// <summary>
/// One live mount: a connected <see cref="MirrorClient"/>, the /dev/fuse channel, mount(2) with the
/// <see cref="MountSource"/> as source, and the session serving it. <see cref="StopAsync"/> unmounts
/// (umount2, lazily when busy); <see cref="Ended"/> tells how the session ended.
/// </summary>
public sealed partial class MirrorMount : IAsyncDisposable
{
    private readonly MirrorClient client;
    private readonly FuseChannel channel;
    private readonly FuseSession session;
    private readonly ILogger logger;
    private int stopped;

    private MirrorMount(MirrorMountOptions options, MountSource source, MirrorClient client, FuseChannel channel, FuseSession session, ILogger logger)
    {
        Options = options;
        Source = source;
        this.client = client;
        this.channel = channel;
        this.session = session;
        this.logger = logger;
    }

    public MirrorMountOptions Options { get; }

    public MountSource Source { get; }

    /// <summary>0 when the session ended because this process unmounted; 1 when it was lost or failed.</summary>
    public Task<int> Ended => session.Ended.ContinueWith(t => t.Result == SessionEnd.Unmounted ? 0 : 1, TaskScheduler.Default);

    public static async Task<MirrorMount> StartAsync(MirrorMountOptions options, CancellationToken ct = default)
    {
        var loggers = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggers.CreateLogger("Mirror.Fuse");
        var mountpoint = System.IO.Path.GetFullPath(options.Mountpoint);
        if (!Directory.Exists(mountpoint))
        {
            throw new MirrorException(Errno.ENOENT, $"mountpoint {mountpoint} is not a directory");
        }

        var client = await MirrorClient.ConnectAsync(options.MdsAddress, options.Token, new MirrorClientOptions { LoggerFactory = options.LoggerFactory }, ct).ConfigureAwait(false);
        FuseChannel? channel = null;
        MirrorMount? mount = null;
        try
        {
            var (root, path) = await ResolveRootAsync(client, options, ct).ConfigureAwait(false);
            var source = new MountSource(options.MdsAddress, path);
            var sessionOptions = new FuseSessionOptions { Readers = Math.Max(1, options.Readers) };
            channel = FuseChannel.Open(sessionOptions.MaxWrite, logger);
            var fs = new MirrorFileSystem(client, root, options.Settings, logger);
            var session = new FuseSession(channel, fs, sessionOptions, logger);
            KernelMount.Mount(source.ToString(), mountpoint, channel.Fd, options.Settings.ReadOnly);
            mount = new MirrorMount(options with { Mountpoint = mountpoint }, source, client, channel, session, logger);
            session.Start();
            await session.Initialized.WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            LogMounted(logger, source.ToString(), mountpoint, options.Settings.ReadOnly);
            return mount;
        }
        catch
        {
            if (mount is not null)
            {
                await mount.StopAsync().ConfigureAwait(false); // unmounts, closes the channel and the client
            }
            else
            {
                channel?.Dispose();
                await client.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>The FID and path of the directory to mount: the volume's root, or <see cref="MirrorMountOptions.Path"/>.</summary>
    private static async Task<(Fid Root, string Path)> ResolveRootAsync(MirrorClient client, MirrorMountOptions options, CancellationToken ct)
    {
        if (options.Volume is { } name)
        {
            Protocol.Mds.VolumeInfo volume;
            try
            {
                volume = await client.Mds.GetVolumeAsync(name, ct).ConfigureAwait(false);
            }
            catch (MirrorException e)
            {
                throw new MirrorException(e.Errno, $"volume '{name}': {e.Message}", e);
            }

            return (volume.Root.ToFid(), volume.Path.Length > 0 ? volume.Path : $"/volumes/{name}");
        }

        var attr = await client.StatAsync(options.Path, ct).ConfigureAwait(false);
        return attr.Kind == FileKind.Directory
            ? (attr.Fid, NamespacePath.Normalize(options.Path))
            : throw new MirrorException(Errno.ENOTDIR, $"{options.Path}: not a directory, cannot be mounted");
    }

    /// <summary>Unmounts, waits (bounded) for the session to end, closes the handles and the client. Idempotent.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref stopped, 1) != 0)
        {
            return;
        }

        session.MarkUnmounting();
        try
        {
            var how = KernelMount.Unmount(Options.Mountpoint);
            LogUnmounted(logger, Options.Mountpoint, how);
        }
        catch (IOException e)
        {
            LogUnmountFailed(logger, Options.Mountpoint, e.Message);
        }

        // A lazy unmount ends the session only when the last user lets go; do not wait for ever.
        await Task.WhenAny(session.Ended, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        channel.Dispose();
        await client.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "mounted {Source} on {Mountpoint} (read-only: {ReadOnly})")]
    private static partial void LogMounted(ILogger logger, string source, string mountpoint, bool readOnly);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "{Mountpoint}: {How}")]
    private static partial void LogUnmounted(ILogger logger, string mountpoint, string how);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "unmount of {Mountpoint} failed: {Error}")]
    private static partial void LogUnmountFailed(ILogger logger, string mountpoint, string error);
}
