using Microsoft.Extensions.Logging;
using Mirror.Client.Locks;
using Mirror.Client.Metadata;
using Mirror.Client.Mirrors;
using Mirror.Client.Targets;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Protocol.Mds;
using MdsStatfsReply = Mirror.Protocol.Mds.StatfsReply;

namespace Mirror.Client.Files;

/// <summary>
/// The file API (Lustre's llite): namespace operations by absolute path, file handles, and the mirror
/// operations of <c>lfs mirror</c> (partial class MirrorClient.Mirrors). Thread-safe; one per process
/// and cluster is enough.
/// </summary>
public sealed partial class MirrorClient : IAsyncDisposable
{
    private readonly OstTargetSet? ownedTargets;
    private readonly Dictionary<Fid, (ReadCache Cache, int Handles)> readCaches = [];

    internal MirrorClient(MdsClient mds, IOstTargetSet targets, MirrorClientOptions options, OstTargetSet? ownedTargets = null)
    {
        Mds = mds;
        Targets = targets;
        Options = options;
        this.ownedTargets = ownedTargets;
        Logger = options.LoggerFactory?.CreateLogger("Mirror.Client");
        Selector = new ReadMirrorSelector(penalty: options.ReadFailoverPenalty);
        Reader = new MirrorReader(targets, Selector, Logger);
        Writer = new MirrorWriter(targets);
        Copier = new MirrorCopier(Reader, Writer);
        Verifier = new MirrorVerifier(Reader);
        if (options.IwmAware)
        {
            // IWM §2.4.6: a client that is not IWM-aware never takes AW locks (it writes with a write intent).
            Locks = new ClientLockCache(mds, targets, options.Iwm, options.LoggerFactory?.CreateLogger("Mirror.Client.Locks"));
            if (options.KeepLease)
            {
                Lease = new LeaseKeeper(mds, Locks, options.LoggerFactory?.CreateLogger("Mirror.Client.Locks"));
                Lease.Start();
            }
        }
    }

    public MdsClient Mds { get; }

    public IOstTargetSet Targets { get; }

    public MirrorClientOptions Options { get; }

    internal ILogger? Logger { get; }

    /// <summary>The lock cache (LAYOUT and AW locks, IWM §2.2); null for a client that is not IWM-aware.</summary>
    public ClientLockCache? Locks { get; }

    /// <summary>Pings and the Callbacks stream; null when not IWM-aware or not asked for.</summary>
    public LeaseKeeper? Lease { get; }

    /// <summary>Set when the MDS answered a lock call UNIMPLEMENTED: IWM files are then written delayed-FLR.</summary>
    internal bool ImmediateUnsupported { get; set; }

    internal ReadMirrorSelector Selector { get; }

    internal MirrorReader Reader { get; }

    internal MirrorWriter Writer { get; }

    internal MirrorCopier Copier { get; }

    internal MirrorVerifier Verifier { get; }

    /// <summary>Connects to the MDS (Connect with iwm_aware and the client uuid) and reads the OST registry.</summary>
    public static async Task<MirrorClient> ConnectAsync(string mdsAddress, string? token, MirrorClientOptions? options = null, CancellationToken ct = default)
    {
        options ??= new MirrorClientOptions();
        var grpc = options.Connect(mdsAddress, token);
        var mds = new MdsClient(options.Mds.UseBulk ? new MdsBulkInvoker(grpc, address => BulkChannelInvoker.ForAddress(address, token)) : grpc, options.Mds);
        try
        {
            await mds.ConnectAsync(options.ClientUuid, options.IwmAware, ct);
            var targets = new OstTargetSet(
                mds,
                address => options.Connect(address, token),
                options.ClientUuid,
                options.Ost,
                options.LoggerFactory?.CreateLogger("Mirror.Client.Targets"),
                options.Ost.UseBulk ? address => BulkChannelInvoker.ForAddress(address, token) : null);
            await targets.RefreshAsync(ct);
            return new MirrorClient(mds, targets, options, targets);
        }
        catch
        {
            mds.Dispose();
            throw;
        }
    }

    /// <summary>Wires a client over given connections (tests with fake targets).</summary>
    public static async Task<MirrorClient> CreateAsync(MdsClient mds, IOstTargetSet targets, MirrorClientOptions? options = null, CancellationToken ct = default)
    {
        options ??= new MirrorClientOptions();
        await mds.ConnectAsync(options.ClientUuid, options.IwmAware, ct);
        return new MirrorClient(mds, targets, options);
    }

    public Task<FileAttr> StatAsync(string path, CancellationToken ct = default) =>
        WithPath(path, () => Mds.ResolvePathAsync(NamespacePath.Normalize(path), ct));

    public async Task<FileAttr> MkdirAsync(string path, uint mode = 0x1ED, CancellationToken ct = default)
    {
        var (parent, name) = NamespacePath.Split(path);
        var dir = await DirectoryAsync(parent, ct);
        return (await WithPath(path, () => Mds.MkdirAsync(dir.Fid, name, mode, ct))).Attr;
    }

    /// <summary>Creates (or, unless <paramref name="exclusive"/>, opens) a regular file with the layout <paramref name="layout"/> (null = default).</summary>
    public async Task<MirrorFile> CreateAsync(string path, LayoutSpec? layout = null, uint mode = 0x1A4, bool exclusive = false, CancellationToken ct = default)
    {
        var (parent, name) = NamespacePath.Split(path);
        var dir = await DirectoryAsync(parent, ct);
        var created = await WithPath(path, () => Mds.CreateAsync(dir.Fid, name, mode, exclusive, layout, ct));
        if (created.Attr.Kind != FileKind.Regular)
        {
            throw new MirrorException(created.Attr.Kind == FileKind.Directory ? Errno.EISDIR : Errno.EINVAL, $"{path}: not a regular file");
        }

        var fileLayout = created.Layout ?? (await Mds.GetLayoutAsync(created.Attr.Fid, ct)).Layout;
        return new MirrorFile(this, NamespacePath.Normalize(path), created.Attr, fileLayout) { Created = created.Created };
    }

    public async Task<MirrorFile> OpenAsync(string path, CancellationToken ct = default)
    {
        var attr = await StatAsync(path, ct);
        if (attr.Kind != FileKind.Regular)
        {
            throw new MirrorException(attr.Kind == FileKind.Directory ? Errno.EISDIR : Errno.EINVAL, $"{path}: not a regular file");
        }

        var layout = await WithPath(path, () => Mds.GetLayoutAsync(attr.Fid, ct));
        return new MirrorFile(this, NamespacePath.Normalize(path), layout.Attr, layout.Layout);
    }

    public async Task<IReadOnlyList<DirectoryEntry>> ReaddirAsync(string path, CancellationToken ct = default)
    {
        var dir = await DirectoryAsync(path, ct);
        return await WithPath(path, () => Mds.ReaddirAsync(dir.Fid, ct));
    }

    public async Task UnlinkAsync(string path, CancellationToken ct = default)
    {
        var (parent, name) = NamespacePath.Split(path);
        var dir = await DirectoryAsync(parent, ct);
        await WithPath(path, async () => { await Mds.UnlinkAsync(dir.Fid, name, ct); return true; });
    }

    public async Task RmdirAsync(string path, CancellationToken ct = default)
    {
        var (parent, name) = NamespacePath.Split(path);
        var dir = await DirectoryAsync(parent, ct);
        await WithPath(path, async () => { await Mds.RmdirAsync(dir.Fid, name, ct); return true; });
    }

    public async Task RenameAsync(string from, string to, CancellationToken ct = default)
    {
        var (srcParent, srcName) = NamespacePath.Split(from);
        var (dstParent, dstName) = NamespacePath.Split(to);
        var src = await DirectoryAsync(srcParent, ct);
        var dst = await DirectoryAsync(dstParent, ct);
        await WithPath(from, async () => { await Mds.RenameAsync(src.Fid, srcName, dst.Fid, dstName, 0, ct); return true; });
    }

    public async Task<FileAttr> SymlinkAsync(string path, string target, CancellationToken ct = default)
    {
        var (parent, name) = NamespacePath.Split(path);
        var dir = await DirectoryAsync(parent, ct);
        return (await WithPath(path, () => Mds.SymlinkAsync(dir.Fid, name, target, ct))).Attr;
    }

    public Task<MdsStatfsReply> StatfsAsync(CancellationToken ct = default) => Mds.StatfsAsync(ct);

    public async Task<LayoutResult> GetLayoutAsync(string path, CancellationToken ct = default)
    {
        var attr = await StatAsync(path, ct);
        return await WithPath(path, () => Mds.GetLayoutAsync(attr.Fid, ct));
    }

    public async ValueTask DisposeAsync()
    {
        if (Lease is not null)
        {
            await Lease.DisposeAsync();
        }

        if (Locks is not null)
        {
            await Locks.DisposeAsync();
        }

        ownedTargets?.Dispose();
        Mds.Dispose();
    }

    /// <summary>
    /// The read cache of <paramref name="fid"/>, shared by this client's open handles of the file (like a page
    /// cache per inode), so a write through one handle invalidates what another handle cached.
    /// </summary>
    internal ReadCache OpenReadCache(Fid fid)
    {
        lock (readCaches)
        {
            var (cache, handles) = readCaches.TryGetValue(fid, out var entry) ? entry : (new ReadCache(Options.ReadCacheBytes), 0);
            readCaches[fid] = (cache, handles + 1);
            return cache;
        }
    }

    internal void CloseReadCache(Fid fid)
    {
        lock (readCaches)
        {
            if (readCaches.TryGetValue(fid, out var entry))
            {
                if (entry.Handles <= 1)
                {
                    readCaches.Remove(fid);
                }
                else
                {
                    readCaches[fid] = (entry.Cache, entry.Handles - 1);
                }
            }
        }
    }

    /// <summary>Runs an MDS call and names <paramref name="path"/> in its error, keeping the errno.</summary>
    internal static async Task<T> WithPath<T>(string path, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (MirrorException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new MirrorException(e.Errno, $"{path}: {Describe(e)}", e);
        }
    }

    /// <summary>strerror-like text for the common errnos; the MDS message otherwise.</summary>
    internal static string Describe(MirrorException e) => e.Errno switch
    {
        Errno.ENOENT => "No such file or directory",
        Errno.EEXIST => "File exists",
        Errno.ENOTDIR => "Not a directory",
        Errno.EISDIR => "Is a directory",
        Errno.ENOTEMPTY => "Directory not empty",
        Errno.EACCES => "Permission denied",
        _ => e.Message,
    };

    private async Task<FileAttr> DirectoryAsync(string path, CancellationToken ct)
    {
        var attr = await StatAsync(path, ct);
        return attr.Kind == FileKind.Directory ? attr : throw new MirrorException(Errno.ENOTDIR, $"{path}: Not a directory");
    }
}
