using Mirror.Client.Files;
using Mirror.Client.Metadata;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Fuse.Kernel;
using Mirror.Protocol.Mds;

namespace Mirror.Fuse.Bridge;

/// <summary>
/// Open files: one <see cref="MirrorFile"/> per FUSE open. Writes are write-behind in the client, so their
/// errors come back at the next write, at FLUSH (every close(2)) or FSYNC (IWM: errors at close/fsync).
/// No FOPEN_KEEP_CACHE: the kernel drops cached pages at every open (close-to-open across mounts).
/// </summary>
internal sealed partial class MirrorFileSystem
{
    private const uint OAccMode = 3;
    private const uint OWronly = 1;
    private const uint ORdwr = 2;
    private const uint OExcl = 0x80;
    private const uint FallocKeepSize = 1;
    private const uint FallocPunchHole = 2;

    /// <summary>File handles open in this mount; unlink looks for one to hide only when there are some.</summary>
    private int openFiles;

    private static bool WantsWrite(uint flags) => (flags & OAccMode) is OWronly or ORdwr;

    private async Task OpenAsync(FuseRequest r, FuseChannel c)
    {
        var node = Inodes.Get(r.NodeId);
        var open = r.Read<FuseOpenIn>();
        var writable = WantsWrite(open.Flags);
        if (writable)
        {
            RequireWritable(r);
        }

        var file = await OpenFreshAsync(node).ConfigureAwait(false);
        InvalidateIfChanged(c, node, file.Attr);
        ReplyOpen(r, c, node, file, writable);
    }

    /// <summary>
    /// GetLayout: the layout and fresh attributes (close-to-open). A FID the MDS no longer has answers ESTALE,
    /// not ENOENT: the kernel's cached name was removed or replaced in another mount, and ESTALE makes the
    /// VFS walk the path again with LOOKUP_REVAL (a fresh LOOKUP) and retry the open once.
    /// </summary>
    private async Task<MirrorFile> OpenFreshAsync(Node node)
    {
        try
        {
            return await client.OpenAsync(node.Fid, Describe(node)).ConfigureAwait(false);
        }
        catch (MirrorException e) when (e.Errno == Errno.ENOENT)
        {
            throw new MirrorException(Errno.ESTALE, $"{Describe(node)} no longer exists: {e.Message}", e);
        }
    }

    /// <summary>
    /// Close-to-open with cached attributes: when the MDS's attributes differ from those the kernel holds for
    /// the node (another mount wrote and closed the file), FUSE_NOTIFY_INVAL_INODE drops the kernel's attributes
    /// and pages before OPEN is answered, so the reads after it see the new size and bytes (fuse.h 7.12
    /// notifications; libfuse fuse_lowlevel_notify_inval_inode). Unchanged attributes cost nothing.
    /// </summary>
    private void InvalidateIfChanged(FuseChannel c, Node node, FileAttr fresh)
    {
        var freshSize = node.SizeSeen(fresh.Size);
        var unchanged = node.Given is { } given && !given.DiffersFrom(fresh, freshSize);
        node.Given = new KernelAttr(fresh, freshSize); // confirmed current as of now
        if (unchanged)
        {
            return;
        }

        var errno = c.NotifyInvalInode(node.NodeId, 0, 0);
        FuseMetrics.InodeInvalidated();
        if (errno != 0 && errno != (int)Errno.ENOENT)
        {
            LogInvalidateFailed(logger, node.Fid, errno);
        }
    }

    private async Task CreateAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        var parent = Inodes.Get(r.NodeId);
        var create = r.Read<FuseCreateIn>();
        var name = CheckName(r.ReadName());
        var request = new CreateRequest
        {
            Parent = parent.Fid.ToMsg(),
            Name = name,
            Mode = create.Mode & ~create.Umask & 0xFFF,
            Uid = r.Header.Uid,
            Gid = r.Header.Gid,
            Exclusive = (create.Flags & OExcl) != 0,
        };
        var (file, _) = await ChangeAsync(parent, () => client.CreateWithParentAsync(request, Describe(parent, name)), x => x.ParentAttr).ConfigureAwait(false);
        var node = Inodes.Remember(file.Attr);
        var fh = Track(node, file, WantsWrite(create.Flags));
        c.Reply(r.Unique, EntryOut(node, file.Attr), new FuseOpenOut { Fh = fh });
    }

    private void ReplyOpen(FuseRequest r, FuseChannel c, Node node, MirrorFile file, bool writable) =>
        c.Reply(r.Unique, new FuseOpenOut { Fh = Track(node, file, writable) });

    private ulong Track(Node node, MirrorFile file, bool writable)
    {
        Interlocked.Increment(ref openFiles);
        node.AddOpen(file);
        return handles.Add(new FileHandle(node, file, writable));
    }

    private async Task ReadAsync(FuseRequest r, FuseChannel c)
    {
        var read = r.Read<FuseReadIn>();
        var handle = handles.Get<FileHandle>(read.Fh);
        var buffer = FuseChannel.RentReply((int)read.Size);
        int n;
        try
        {
            n = await handle.File.ReadAsync(read.Offset, buffer.AsMemory(FuseChannel.OutHeaderSize, (int)read.Size)).ConfigureAwait(false);
        }
        catch
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        c.Send(r.Unique, buffer, n);
    }

    private async Task WriteAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        var write = r.Read<FuseWriteIn>();
        var handle = handles.Get<FileHandle>(write.Fh);
        var data = r.ReadBytes((int)write.Size);
        // The data stays in the request buffer the kernel wrote it into: the handle owns that buffer until the
        // OSTs answered (no copy into the write-behind window). MirrorFile.WriteOwnedAsync reserves the volume
        // quota up to the write's end first (ENOSPC before any data is sent).
        await handle.File.WriteOwnedAsync(write.Offset, data, r.TakeBuffer()).ConfigureAwait(false);
        c.Reply(r.Unique, new FuseWriteOut { Size = write.Size });
    }

    /// <summary>FLUSH comes with every close(2): drain the write-behind window, report errors and the size.</summary>
    private async Task FlushAsync(FuseRequest r, FuseChannel c)
    {
        var flush = r.Read<FuseFlushIn>();
        var handle = handles.Get<FileHandle>(flush.Fh);
        if (handle.Writable)
        {
            await handle.File.FlushAsync().ConfigureAwait(false);
        }

        c.ReplyEmpty(r.Unique);
    }

    private async Task FsyncAsync(FuseRequest r, FuseChannel c)
    {
        var fsync = r.Read<FuseFsyncIn>();
        var handle = handles.Get<FileHandle>(fsync.Fh);
        await handle.File.FsyncAsync().ConfigureAwait(false);
        c.ReplyEmpty(r.Unique);
    }

    private async Task ReleaseAsync(FuseRequest r, FuseChannel c)
    {
        var release = r.Read<FuseReleaseIn>();
        var handle = handles.Remove<FileHandle>(release.Fh);
        if (handle is not null)
        {
            await CloseQuietlyAsync(handle).ConfigureAwait(false);
        }

        c.ReplyEmpty(r.Unique);
    }

    /// <summary>Release has no one to report to (close(2) already returned after FLUSH): errors are logged.</summary>
    private async Task CloseQuietlyAsync(FileHandle handle)
    {
        try
        {
            await handle.File.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is MirrorException or IOException or OperationCanceledException)
        {
            LogCloseFailed(logger, handle.Node.Fid, e.Message);
        }
        finally
        {
            Interlocked.Decrement(ref openFiles);
            if (handle.Node.RemoveOpen(handle.File) is { } hidden)
            {
                await UnlinkHiddenAsync(hidden.Parent, hidden.Name).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The last close of a file unlinked while open: its hidden name goes now.</summary>
    private async Task UnlinkHiddenAsync(Fid parent, string name)
    {
        try
        {
            await Mds.UnlinkAsync(parent, name).ConfigureAwait(false);
        }
        catch (MirrorException e)
        {
            LogCloseFailed(logger, parent, $"unlink of the hidden name {name}: {e.Message}");
        }
    }

    /// <summary>fallocate(2): mode 0 and KEEP_SIZE preallocate, PUNCH_HOLE|KEEP_SIZE punches; other modes EOPNOTSUPP.</summary>
    private async Task FallocateAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        var f = r.Read<FuseFallocateIn>();
        var handle = handles.Get<FileHandle>(f.Fh);
        var file = handle.File;
        if (f.Mode == (FallocPunchHole | FallocKeepSize))
        {
            await file.PunchAsync(f.Offset, f.Length).ConfigureAwait(false);
        }
        else if (f.Mode is 0 or FallocKeepSize)
        {
            await client.ReserveAsync(handle.Node.Fid, f.Offset + f.Length).ConfigureAwait(false);
            await file.FallocateAsync(f.Offset, f.Length, f.Mode).ConfigureAwait(false);
            var end = f.Offset + f.Length;
            if (f.Mode == 0 && end > file.Size)
            {
                await file.TruncateAsync(end).ConfigureAwait(false);
            }
        }
        else
        {
            throw new MirrorException(Errno.ENOTSUP, $"fallocate mode 0x{f.Mode:x} on {handle.Node.Fid}: only 0, KEEP_SIZE and PUNCH_HOLE|KEEP_SIZE");
        }

        c.ReplyEmpty(r.Unique);
    }
}
