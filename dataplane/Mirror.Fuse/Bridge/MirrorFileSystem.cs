using System.Text;
using Microsoft.Extensions.Logging;
using Mirror.Client.Files;
using Mirror.Client.Metadata;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Fuse.Kernel;

namespace Mirror.Fuse.Bridge;

/// <summary>
/// FUSE operations → the file API (ARCHITECTURE §2 "Fuse: decodes kernel FUSE requests, calls the file
/// API, encodes replies"). Namespace ops go to <see cref="MdsClient"/> by parent FID and name; file data
/// goes through <see cref="MirrorFile"/> (IWM fan-out or delayed-write FLR). A <see cref="MirrorException"/>
/// becomes the reply's -errno; anything else is logged and answered EIO.
/// Permissions are the kernel's (default_permissions); the caller's uid/gid come from fuse_in_header.
/// </summary>
internal sealed partial class MirrorFileSystem : IFuseOperations
{
    public const int NameMax = 255;

    private readonly MirrorClient client;
    private readonly MountSettings settings;
    private readonly ILogger logger;
    private readonly HandleTable handles = new();

    public MirrorFileSystem(MirrorClient client, Fid root, MountSettings settings, ILogger logger)
    {
        this.client = client;
        this.settings = settings;
        this.logger = logger;
        Inodes = new InodeTable(root);
    }

    public InodeTable Inodes { get; }

    private MdsClient Mds => client.Mds;

    public async Task HandleAsync(FuseRequest request, FuseChannel channel)
    {
        var started = FuseMetrics.Start();
        Errno? error = null;
        try
        {
            await DispatchAsync(request, channel).ConfigureAwait(false);
        }
        catch (MirrorException e)
        {
            if (e.Errno is not (Errno.ENOENT or Errno.EEXIST or Errno.ENOTEMPTY or Errno.ENODATA))
            {
                LogOpFailed(logger, request.Opcode.ToString(), request.NodeId, e.Errno.ToString(), e.Message);
            }

            error = e.Errno;
            channel.ReplyError(request.Unique, (int)e.Errno);
        }
        catch (Exception e)
        {
            LogOpCrashed(logger, e, request.Opcode.ToString(), request.NodeId);
            error = Errno.EIO;
            channel.ReplyError(request.Unique, (int)Errno.EIO);
        }
        finally
        {
            FuseMetrics.Served(request.Opcode, started, error);
        }
    }

    public async Task ShutdownAsync()
    {
        foreach (var handle in handles.RemoveAll())
        {
            if (handle is FileHandle file)
            {
                await CloseQuietlyAsync(file).ConfigureAwait(false);
            }
        }
    }

    private Task DispatchAsync(FuseRequest r, FuseChannel c)
    {
        switch (r.Opcode)
        {
            case FuseOpcode.Lookup: return LookupAsync(r, c);
            case FuseOpcode.Forget: Inodes.Forget(r.NodeId, r.Read<FuseForgetIn>().Nlookup); return Task.CompletedTask;
            case FuseOpcode.BatchForget: BatchForget(r); return Task.CompletedTask;
            case FuseOpcode.Getattr: return GetattrAsync(r, c);
            case FuseOpcode.Setattr: return SetattrAsync(r, c);
            case FuseOpcode.Readlink: return ReadlinkAsync(r, c);
            case FuseOpcode.Symlink: return SymlinkAsync(r, c);
            case FuseOpcode.Mknod: return MknodAsync(r, c);
            case FuseOpcode.Mkdir: return MkdirAsync(r, c);
            case FuseOpcode.Unlink: return RemoveAsync(r, c, directory: false);
            case FuseOpcode.Rmdir: return RemoveAsync(r, c, directory: true);
            case FuseOpcode.Rename: return RenameAsync(r, c, r.Read<FuseRenameIn>().NewDir, 0);
            case FuseOpcode.Rename2: return Rename2Async(r, c);
            case FuseOpcode.Link: return LinkAsync(r, c);
            case FuseOpcode.Open: return OpenAsync(r, c);
            case FuseOpcode.Create: return CreateAsync(r, c);
            case FuseOpcode.Read: return ReadAsync(r, c);
            case FuseOpcode.Write: return WriteAsync(r, c);
            case FuseOpcode.Flush: return FlushAsync(r, c);
            case FuseOpcode.Fsync: return FsyncAsync(r, c);
            case FuseOpcode.Release: return ReleaseAsync(r, c);
            case FuseOpcode.Fallocate: return FallocateAsync(r, c);
            case FuseOpcode.Statfs: return StatfsAsync(r, c);
            case FuseOpcode.Opendir: return OpendirAsync(r, c);
            case FuseOpcode.Readdir: return ReaddirAsync(r, c, plus: false);
            case FuseOpcode.Readdirplus: return ReaddirAsync(r, c, plus: true);
            case FuseOpcode.Releasedir: handles.Remove<DirHandle>(r.Read<FuseReleaseIn>().Fh); c.ReplyEmpty(r.Unique); return Task.CompletedTask;
            case FuseOpcode.Fsyncdir: c.ReplyEmpty(r.Unique); return Task.CompletedTask;
            case FuseOpcode.Access: c.ReplyEmpty(r.Unique); return Task.CompletedTask; // default_permissions: the kernel checked
            case FuseOpcode.Setxattr: return SetxattrAsync(r, c);
            case FuseOpcode.Getxattr: return GetxattrAsync(r, c);
            case FuseOpcode.Listxattr: return ListxattrAsync(r, c);
            case FuseOpcode.Removexattr: return RemovexattrAsync(r, c);
            case FuseOpcode.Tmpfile: c.ReplyError(r.Unique, (int)Errno.ENOTSUP); return Task.CompletedTask;
            default:
                // Locks (no FUSE_POSIX_LOCKS: the kernel keeps them locally), lseek, copy_file_range, ioctl, poll,
                // bmap: ENOSYS makes the kernel use its generic fallback and stop asking.
                c.ReplyError(r.Unique, (int)Errno.ENOSYS);
                return Task.CompletedTask;
        }
    }

    private void BatchForget(FuseRequest r)
    {
        var batch = r.Read<FuseBatchForgetIn>();
        for (var i = 0; i < batch.Count; i++)
        {
            var one = r.Read<FuseForgetOne>();
            Inodes.Forget(one.NodeId, one.Nlookup);
        }
    }

    private void RequireWritable(FuseRequest r)
    {
        if (settings.ReadOnly)
        {
            throw new MirrorException(Errno.EROFS, $"{r.Opcode}: the mount is read-only");
        }
    }

    private static string CheckName(string name) =>
        Encoding.UTF8.GetByteCount(name) > NameMax
            ? throw new MirrorException(Errno.ENAMETOOLONG, $"name of {Encoding.UTF8.GetByteCount(name)} bytes is longer than {NameMax}")
            : name;

    private static string Describe(Node node, string? name = null) => name is null ? node.Fid.ToString() : $"{node.Fid}/{name}";

    // ---- attribute encoding ----

    private static uint TypeBits(FileKind kind) => kind switch
    {
        FileKind.Directory => 0x4000, // S_IFDIR
        FileKind.Symlink => 0xA000, // S_IFLNK
        _ => 0x8000, // S_IFREG
    };

    /// <summary>The fuse_attr of <paramref name="a"/>; with a node, also remembered as what the kernel now caches.</summary>
    private FuseAttr ToFuse(FileAttr a, Node? node)
    {
        var size = node is null || a.Kind != FileKind.Regular ? a.Size : node.SizeSeen(a.Size);
        if (node is not null)
        {
            node.Given = new KernelAttr(a, size);
        }

        var (atime, atimeNs) = Split(a.Atime);
        var (mtime, mtimeNs) = Split(a.Mtime);
        var (ctime, ctimeNs) = Split(a.Ctime);
        return new FuseAttr
        {
            Ino = InodeTable.InodeNumber(a.Fid),
            Size = size,
            Blocks = (size + 511) / 512,
            Atime = atime,
            AtimeNsec = atimeNs,
            Mtime = mtime,
            MtimeNsec = mtimeNs,
            Ctime = ctime,
            CtimeNsec = ctimeNs,
            Mode = TypeBits(a.Kind) | (a.Mode & 0xFFF),
            Nlink = Math.Max(1, a.Nlink),
            Uid = a.Uid,
            Gid = a.Gid,
            Blksize = 1 << 20, // st_blksize: cp and friends size their buffers by it; 1 MiB = max_write
        };
    }

    private static (ulong Seconds, uint Nanoseconds) Split(DateTimeOffset t)
    {
        var ns = FileAttr.ToNs(t);
        if (ns < 0)
        {
            return (0, 0);
        }

        return ((ulong)(ns / 1_000_000_000), (uint)(ns % 1_000_000_000));
    }

    private static (ulong Seconds, uint Nanoseconds) Timeout(TimeSpan t) =>
        ((ulong)t.TotalSeconds, (uint)(t.Ticks % TimeSpan.TicksPerSecond * 100));

    private FuseEntryOut EntryOut(Node node, FileAttr attr)
    {
        var (entrySec, entryNs) = Timeout(settings.EntryTimeout);
        var (attrSec, attrNs) = Timeout(settings.AttrTimeout);
        return new FuseEntryOut
        {
            NodeId = node.NodeId,
            Generation = node.Fid.Version,
            EntryValid = entrySec,
            EntryValidNsec = entryNs,
            AttrValid = attrSec,
            AttrValidNsec = attrNs,
            Attr = ToFuse(attr, node),
        };
    }

    private FuseAttrOut AttrOut(Node node, FileAttr attr, TimeSpan? valid = null)
    {
        var (attrSec, attrNs) = Timeout(valid ?? settings.AttrTimeout);
        return new FuseAttrOut { AttrValid = attrSec, AttrValidNsec = attrNs, Attr = ToFuse(attr, node) };
    }

    /// <summary>Replies an entry for <paramref name="attr"/>, counting the lookup the kernel now holds.</summary>
    private void ReplyEntry(FuseRequest r, FuseChannel c, FileAttr attr)
    {
        var node = Inodes.Remember(attr);
        c.Reply(r.Unique, EntryOut(node, attr));
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "{Op} on node {NodeId}: {Errno} {Error}")]
    private static partial void LogOpFailed(ILogger logger, string op, ulong nodeId, string errno, string error);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "{Op} on node {NodeId} failed unexpectedly (EIO)")]
    private static partial void LogOpCrashed(ILogger logger, Exception exception, string op, ulong nodeId);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "invalidating the kernel's cache of {Fid} failed: errno {Errno}")]
    private static partial void LogInvalidateFailed(ILogger logger, Fid fid, int errno);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "closing {Fid} at release failed: {Error}")]
    private static partial void LogCloseFailed(ILogger logger, Fid fid, string error);
}
