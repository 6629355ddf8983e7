using Mirror.Client.Metadata;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Fuse.Kernel;
using Mirror.Protocol.Mds;
using MdsSetAttrRequest = Mirror.Protocol.Mds.SetAttrRequest;

namespace Mirror.Fuse.Bridge;

/// <summary>Names and attributes: lookup, getattr/setattr, mkdir/mknod/symlink, unlink/rmdir, rename, link, statfs, xattrs.</summary>
internal sealed partial class MirrorFileSystem
{
    private const uint RenameNoReplace = 1;
    private const uint RenameExchange = 2;

    /// <summary>The xattr namespaces the MDS stores (Mirror.Mds Namespace/Xattrs.cs).</summary>
    private static readonly string[] XattrNamespaces = ["user.", TrustedPrefix];

    private const string TrustedPrefix = "trusted.";

    private async Task LookupAsync(FuseRequest r, FuseChannel c)
    {
        var parent = Inodes.Get(r.NodeId);
        var name = CheckName(r.ReadName());
        FileAttr attr;
        try
        {
            attr = await Mds.LookupAsync(parent.Fid, name).ConfigureAwait(false);
        }
        catch (MirrorException e) when (e.Errno == Errno.ENOENT && settings.NegativeTimeout > TimeSpan.Zero)
        {
            // fuse.h: an entry with node id 0 is a negative entry the kernel caches for entry_valid.
            var (sec, ns) = Timeout(settings.NegativeTimeout);
            c.Reply(r.Unique, new FuseEntryOut { NodeId = 0, EntryValid = sec, EntryValidNsec = ns });
            return;
        }

        ReplyEntry(r, c, attr);
    }

    /// <summary>
    /// stat(2) once the attribute timeout has passed; ESTALE for a FID that is gone (see <see cref="OpenFreshAsync"/>).
    /// A directory this mount just changed is answered from the attributes the change returned, for what remains
    /// of the attribute timeout (<see cref="DirectoryChanges"/>): the kernel asks after every create or unlink in it.
    /// Regular files always ask the MDS, with or without a file handle (close-to-open: an fstat after open sees
    /// what OPEN fetched or newer).
    /// </summary>
    private async Task GetattrAsync(FuseRequest r, FuseChannel c)
    {
        var node = Inodes.Get(r.NodeId);
        if (node.Changes.Fresh(settings.AttrTimeout) is { } fresh)
        {
            FuseMetrics.AnsweredLocally(FuseOpcode.Getattr);
            c.Reply(r.Unique, AttrOut(node, fresh.Attr, fresh.Valid));
            return;
        }

        FileAttr attr;
        try
        {
            attr = await Mds.GetAttrAsync(node.Fid).ConfigureAwait(false);
        }
        catch (MirrorException e) when (e.Errno == Errno.ENOENT && node.NodeId != InodeTable.RootId)
        {
            throw new MirrorException(Errno.ESTALE, $"{Describe(node)} no longer exists: {e.Message}", e);
        }

        c.Reply(r.Unique, AttrOut(node, attr));
    }

    private async Task SetattrAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        var node = Inodes.Get(r.NodeId);
        var s = r.Read<FuseSetattrIn>();
        if ((s.Valid & FuseFlags.FattrSize) != 0)
        {
            await TruncateAsync(node, s, (s.Valid & FuseFlags.FattrFh) != 0 ? s.Fh : null).ConfigureAwait(false);
        }

        var request = new MdsSetAttrRequest { Fid = node.Fid.ToMsg() };
        uint valid = 0;
        if ((s.Valid & FuseFlags.FattrMode) != 0)
        {
            valid |= (uint)SetAttrValid.SetattrMode;
            request.Mode = s.Mode & 0xFFF;
        }

        if ((s.Valid & FuseFlags.FattrUid) != 0)
        {
            valid |= (uint)SetAttrValid.SetattrUid;
            request.Uid = s.Uid;
        }

        if ((s.Valid & FuseFlags.FattrGid) != 0)
        {
            valid |= (uint)SetAttrValid.SetattrGid;
            request.Gid = s.Gid;
        }

        var now = FileAttr.ToNs(DateTimeOffset.UtcNow);
        if ((s.Valid & FuseFlags.FattrAtime) != 0)
        {
            valid |= (uint)SetAttrValid.SetattrAtime;
            request.AtimeNs = (s.Valid & FuseFlags.FattrAtimeNow) != 0 ? now : ToNs(s.Atime, s.AtimeNsec);
        }

        if ((s.Valid & FuseFlags.FattrMtime) != 0)
        {
            valid |= (uint)SetAttrValid.SetattrMtime;
            request.MtimeNs = (s.Valid & FuseFlags.FattrMtimeNow) != 0 ? now : ToNs(s.Mtime, s.MtimeNsec);
        }

        if ((s.Valid & FuseFlags.FattrCtime) != 0)
        {
            valid |= (uint)SetAttrValid.SetattrCtime;
            request.CtimeNs = ToNs(s.Ctime, s.CtimeNsec);
        }

        FileAttr attr;
        if (valid != 0)
        {
            request.Valid = valid;
            attr = await ChangeAsync(node, () => Mds.SetAttrAsync(request), _ => null).ConfigureAwait(false);
        }
        else if ((s.Valid & FuseFlags.FattrSize) != 0 && node.Given is { } given && given.Age < settings.AttrTimeout)
        {
            // A truncate alone: the MDS just set size and mtime (MirrorFile.TruncateAsync); nothing else moved,
            // so the reply is the attributes the MDS gave within the attribute timeout (e.g. at the OPEN of an
            // O_TRUNC) with those two, without asking again. Older ones are asked for, not prolonged.
            var at = DateTimeOffset.UtcNow;
            attr = given.Attr with { Size = s.Size, Mtime = at, Ctime = at };
        }
        else
        {
            attr = await Mds.GetAttrAsync(node.Fid).ConfigureAwait(false);
        }

        c.Reply(r.Unique, AttrOut(node, attr));
    }

    /// <summary>truncate(2)/ftruncate(2)/O_TRUNC: through the open handle when the kernel names one, else a short-lived one.</summary>
    private async Task TruncateAsync(Node node, FuseSetattrIn s, ulong? fh)
    {
        if (s.Size > 0)
        {
            await client.ReserveAsync(node.Fid, s.Size).ConfigureAwait(false); // truncate up counts against the quota
        }

        if (fh is { } h && handles.Get<FileHandle>(h) is { } open)
        {
            await open.File.TruncateAsync(s.Size).ConfigureAwait(false);
            client.ForgetGrant(node.Fid);
            return;
        }

        // open(O_TRUNC) sends its SETATTR without the fh (no FUSE_ATOMIC_O_TRUNC: fuse_do_setattr drops the file
        // for ATTR_OPEN), right after the OPEN that made a handle here: truncate through it, not a second open.
        if (node.LatestOpen() is { } latest)
        {
            try
            {
                await latest.TruncateAsync(s.Size).ConfigureAwait(false);
                client.ForgetGrant(node.Fid);
                return;
            }
            catch (MirrorException e) when (e.Errno == Errno.EBADF)
            {
                // closed meanwhile: a short-lived handle below
            }
        }

        var file = await client.OpenAsync(node.Fid, Describe(node)).ConfigureAwait(false);
        try
        {
            await file.TruncateAsync(s.Size).ConfigureAwait(false);
            client.ForgetGrant(node.Fid);
        }
        finally
        {
            await file.CloseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A change of <paramref name="dir"/> (an entry in it, or its own attributes): the attributes
    /// <paramref name="after"/> picks from the reply are kept for the kernel's next GETATTR (<see cref="DirectoryChanges"/>).
    /// </summary>
    private static async Task<T> ChangeAsync<T>(Node dir, Func<Task<T>> change, Func<T, FileAttr?> after)
    {
        var ticket = dir.Changes.Begin();
        FileAttr? attrs = null;
        try
        {
            var result = await change().ConfigureAwait(false);
            attrs = after(result);
            return result;
        }
        finally
        {
            dir.Changes.End(ticket, attrs);
        }
    }

    private static long ToNs(ulong seconds, uint nanoseconds) => (long)seconds * 1_000_000_000 + nanoseconds;

    private async Task ReadlinkAsync(FuseRequest r, FuseChannel c)
    {
        var node = Inodes.Get(r.NodeId);
        var attr = await Mds.GetAttrAsync(node.Fid).ConfigureAwait(false);
        if (attr.Kind != FileKind.Symlink)
        {
            throw new MirrorException(Errno.EINVAL, $"{Describe(node)} is not a symbolic link");
        }

        c.ReplyBytes(r.Unique, System.Text.Encoding.UTF8.GetBytes(attr.SymlinkTarget));
    }

    private async Task SymlinkAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        var parent = Inodes.Get(r.NodeId);
        var name = CheckName(r.ReadName());
        var target = r.ReadName();
        var created = await ChangeAsync(parent, () => Mds.SymlinkAsync(new CreateRequest
        {
            Parent = parent.Fid.ToMsg(),
            Name = name,
            Mode = 0x1FF,
            Uid = r.Header.Uid,
            Gid = r.Header.Gid,
            Exclusive = true,
            SymlinkTarget = target,
        }), x => x.ParentAttr).ConfigureAwait(false);
        ReplyEntry(r, c, created.Attr);
    }

    private async Task MkdirAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        var parent = Inodes.Get(r.NodeId);
        var m = r.Read<FuseMkdirIn>();
        var name = CheckName(r.ReadName());
        var created = await ChangeAsync(parent, () => Mds.MkdirAsync(new CreateRequest
        {
            Parent = parent.Fid.ToMsg(),
            Name = name,
            Mode = m.Mode & ~m.Umask & 0xFFF,
            Uid = r.Header.Uid,
            Gid = r.Header.Gid,
            Exclusive = true,
        }), x => x.ParentAttr).ConfigureAwait(false);
        ReplyEntry(r, c, created.Attr);
    }

    /// <summary>mknod(2): regular files only (the namespace has no devices, FIFOs or sockets: EPERM as for an unsupported type).</summary>
    private async Task MknodAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        var parent = Inodes.Get(r.NodeId);
        var m = r.Read<FuseMknodIn>();
        var name = CheckName(r.ReadName());
        if ((m.Mode & 0xF000) != 0x8000)
        {
            throw new MirrorException(Errno.EPERM, $"mknod {Describe(parent, name)}: only regular files exist here (mode 0{Convert.ToString(m.Mode, 8)})");
        }

        var created = await ChangeAsync(parent, () => Mds.CreateAsync(new CreateRequest
        {
            Parent = parent.Fid.ToMsg(),
            Name = name,
            Mode = m.Mode & ~m.Umask & 0xFFF,
            Uid = r.Header.Uid,
            Gid = r.Header.Gid,
            Exclusive = true,
        }), x => x.ParentAttr).ConfigureAwait(false);
        ReplyEntry(r, c, created.Attr);
    }

    private async Task RemoveAsync(FuseRequest r, FuseChannel c, bool directory)
    {
        RequireWritable(r);
        var parent = Inodes.Get(r.NodeId);
        var name = CheckName(r.ReadName());
        await ChangeAsync(
            parent,
            () => directory ? Mds.RmdirWithParentAsync(parent.Fid, name) : UnlinkAsync(parent, name),
            p => p.Parent).ConfigureAwait(false);
        c.ReplyEmpty(r.Unique);
    }

    /// <summary>
    /// unlink(2). The MDS destroys a file's objects with its last name, but POSIX keeps an unlinked file
    /// readable through descriptors still open: when this mount has the file open and this is its last
    /// name, it is renamed to a hidden name (.mirror-unlinked-…, like NFS's .nfsXXXX) and unlinked at the last
    /// close. Handles open in other mounts are not covered.
    /// </summary>
    private async Task<ParentAttrs> UnlinkAsync(Node parent, string name)
    {
        if (Volatile.Read(ref openFiles) == 0)
        {
            // Nothing is open in this mount, so nothing needs hiding: skip the LOOKUP that would tell.
            return await Mds.UnlinkWithParentAsync(parent.Fid, name).ConfigureAwait(false);
        }

        var attr = await Mds.LookupAsync(parent.Fid, name).ConfigureAwait(false);
        if (attr.Kind == FileKind.Directory || attr.Nlink > 1 || Inodes.Find(attr.Fid) is not { IsOpen: true } node)
        {
            return await Mds.UnlinkWithParentAsync(parent.Fid, name).ConfigureAwait(false);
        }

        var hidden = $".mirror-unlinked-{attr.Fid.Sequence:x}-{attr.Fid.ObjectId:x}-{Guid.NewGuid().ToString("N")[..8]}";
        var renamed = await Mds.RenameWithParentsAsync(parent.Fid, name, parent.Fid, hidden, RenameNoReplace).ConfigureAwait(false);
        if (!node.Hide(parent.Fid, hidden))
        {
            return await Mds.UnlinkWithParentAsync(parent.Fid, hidden).ConfigureAwait(false); // closed meanwhile
        }

        return renamed;
    }

    private Task Rename2Async(FuseRequest r, FuseChannel c)
    {
        var rename = r.Read<FuseRename2In>();
        return (rename.Flags & ~(RenameNoReplace | RenameExchange)) != 0
            ? throw new MirrorException(Errno.EINVAL, $"rename flags 0x{rename.Flags:x}: only RENAME_NOREPLACE and RENAME_EXCHANGE are supported")
            : RenameAsync(r, c, rename.NewDir, rename.Flags);
    }

    private async Task RenameAsync(FuseRequest r, FuseChannel c, ulong newDir, uint flags)
    {
        RequireWritable(r);
        var from = Inodes.Get(r.NodeId);
        var to = Inodes.Get(newDir);
        var oldName = CheckName(r.ReadName());
        var newName = CheckName(r.ReadName());
        if (from == to)
        {
            await ChangeAsync(from, () => Mds.RenameWithParentsAsync(from.Fid, oldName, to.Fid, newName, flags), p => p.Parent).ConfigureAwait(false);
        }
        else
        {
            await ChangeAsync(
                from,
                () => ChangeAsync(to, () => Mds.RenameWithParentsAsync(from.Fid, oldName, to.Fid, newName, flags), p => p.DstParent),
                p => p.Parent).ConfigureAwait(false);
        }

        c.ReplyEmpty(r.Unique);
    }

    /// <summary>link(2): a new name for a non-directory; the MDS counts nlink (EPERM for directories, EXDEV across volumes).</summary>
    private async Task LinkAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        var link = r.Read<FuseLinkIn>();
        var target = Inodes.Get(link.OldNodeId);
        var parent = Inodes.Get(r.NodeId);
        var name = CheckName(r.ReadName());
        var (attr, _) = await ChangeAsync(parent, () => Mds.LinkWithParentAsync(target.Fid, parent.Fid, name), l => l.ParentAttr).ConfigureAwait(false);
        ReplyEntry(r, c, attr);
    }

    /// <summary>statfs(2) of the volume holding the node (its capacity quota), or of the whole file system outside volumes.</summary>
    private async Task StatfsAsync(FuseRequest r, FuseChannel c)
    {
        var node = Inodes.Get(r.NodeId);
        var s = await Mds.StatfsAsync(node.Fid).ConfigureAwait(false);
        var blockSize = s.BlockSize == 0 ? 4096u : s.BlockSize;
        var reply = new FuseStatfsOut
        {
            Blocks = s.TotalBytes / blockSize,
            Bfree = s.FreeBytes / blockSize,
            Bavail = s.FreeBytes / blockSize,
            Files = s.Files + (1UL << 32),
            Ffree = 1UL << 32,
            Bsize = blockSize,
            Frsize = blockSize,
            Namelen = s.NameMax == 0 ? NameMax : s.NameMax,
        };
        c.Reply(r.Unique, in reply);
    }

    // ---- extended attributes (user. and trusted.; the MDS answers ENOTSUP for other namespaces) ----

    /// <summary>
    /// trusted.* is for privileged processes only (xattr(7)): ext4 lets only CAP_SYS_ADMIN see, read or change
    /// them. The capability is not in the FUSE request, so the caller's uid 0 stands for it. The VFS checks the
    /// capability itself for get/set/remove (xattr_permission) before we are asked; listxattr is left to the
    /// file system, and the checks here also hold for a caller the VFS let through without being root.
    /// </summary>
    private static bool TrustedDenied(FuseRequest r, string name) =>
        r.Header.Uid != 0 && name.StartsWith(TrustedPrefix, StringComparison.Ordinal);

    private async Task SetxattrAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        var node = Inodes.Get(r.NodeId);
        var set = r.Read<FuseSetxattrIn>();
        var name = r.ReadName();
        var value = r.ReadBytes((int)set.Size);
        if (TrustedDenied(r, name))
        {
            throw new MirrorException(Errno.EPERM, $"setxattr '{name}' on {Describe(node)}: trusted.* needs uid 0 (caller {r.Header.Uid})");
        }

        await ChangeAsync(node, async () => { await Mds.SetXattrAsync(node.Fid, name, value, set.Flags).ConfigureAwait(false); return true; }, _ => null).ConfigureAwait(false);
        c.ReplyEmpty(r.Unique);
    }

    private async Task GetxattrAsync(FuseRequest r, FuseChannel c)
    {
        var node = Inodes.Get(r.NodeId);
        var get = r.Read<FuseGetxattrIn>();
        var name = r.ReadName();
        if (!XattrNamespaces.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
        {
            // The MDS keeps only these namespaces and answers ENOTSUP for others; the kernel asks for
            // security.capability before every write and truncate (file_remove_privs), so answer without the RPC.
            throw new MirrorException(Errno.ENOTSUP, $"extended attribute '{name}': only the user. and trusted. namespaces are supported");
        }

        if (TrustedDenied(r, name))
        {
            throw new MirrorException(Errno.ENODATA, $"getxattr '{name}' on {Describe(node)}: trusted.* is hidden from uid {r.Header.Uid}");
        }

        var value = await Mds.GetXattrAsync(node.Fid, name).ConfigureAwait(false);
        ReplySized(r, c, get.Size, value);
    }

    private async Task ListxattrAsync(FuseRequest r, FuseChannel c)
    {
        var node = Inodes.Get(r.NodeId);
        var list = r.Read<FuseGetxattrIn>();
        var names = await Mds.ListXattrAsync(node.Fid).ConfigureAwait(false);
        var bytes = System.Text.Encoding.UTF8.GetBytes(string.Concat(names.Where(n => !TrustedDenied(r, n)).Select(n => n + "\0")));
        ReplySized(r, c, list.Size, bytes);
    }

    /// <summary>getxattr/listxattr: size 0 asks for the length; a smaller buffer than the value is ERANGE (xattr(7)).</summary>
    private static void ReplySized(FuseRequest r, FuseChannel c, uint size, byte[] value)
    {
        if (size == 0)
        {
            c.Reply(r.Unique, new FuseGetxattrOut { Size = (uint)value.Length });
        }
        else if (value.Length > size)
        {
            throw new MirrorException(Errno.ERANGE, $"{r.Opcode}: value of {value.Length} bytes does not fit {size}");
        }
        else
        {
            c.ReplyBytes(r.Unique, value);
        }
    }

    private async Task RemovexattrAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        var node = Inodes.Get(r.NodeId);
        var name = r.ReadName();
        if (TrustedDenied(r, name))
        {
            throw new MirrorException(Errno.EPERM, $"removexattr '{name}' on {Describe(node)}: trusted.* needs uid 0 (caller {r.Header.Uid})");
        }

        await ChangeAsync(node, async () => { await Mds.RemoveXattrAsync(node.Fid, name).ConfigureAwait(false); return true; }, _ => null).ConfigureAwait(false);
        c.ReplyEmpty(r.Unique);
    }
}
