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

    private async Task LookupAsync(FuseRequest r, FuseChannel c)
    {
        var parent = Inodes.Get(r.NodeId);
        var name = CheckName(r.ReadName());
        var attr = await Mds.LookupAsync(parent.Fid, name).ConfigureAwait(false);
        ReplyEntry(r, c, attr);
    }

    private async Task GetattrAsync(FuseRequest r, FuseChannel c)
    {
        var node = Inodes.Get(r.NodeId);
        var attr = await Mds.GetAttrAsync(node.Fid).ConfigureAwait(false);
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
            attr = await Mds.SetAttrAsync(request).ConfigureAwait(false);
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
        if (fh is { } h && handles.Get<FileHandle>(h) is { } open)
        {
            await open.File.TruncateAsync(s.Size).ConfigureAwait(false);
            return;
        }

        var file = await client.OpenAsync(node.Fid, Describe(node)).ConfigureAwait(false);
        try
        {
            await file.TruncateAsync(s.Size).ConfigureAwait(false);
        }
        finally
        {
            await file.CloseAsync().ConfigureAwait(false);
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
        var created = await Mds.SymlinkAsync(new CreateRequest
        {
            Parent = parent.Fid.ToMsg(),
            Name = name,
            Mode = 0x1FF,
            Uid = r.Header.Uid,
            Gid = r.Header.Gid,
            Exclusive = true,
            SymlinkTarget = target,
        }).ConfigureAwait(false);
        ReplyEntry(r, c, created.Attr);
    }

    private async Task MkdirAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        var parent = Inodes.Get(r.NodeId);
        var m = r.Read<FuseMkdirIn>();
        var name = CheckName(r.ReadName());
        var created = await Mds.MkdirAsync(new CreateRequest
        {
            Parent = parent.Fid.ToMsg(),
            Name = name,
            Mode = m.Mode & ~m.Umask & 0xFFF,
            Uid = r.Header.Uid,
            Gid = r.Header.Gid,
            Exclusive = true,
        }).ConfigureAwait(false);
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

        var created = await Mds.CreateAsync(new CreateRequest
        {
            Parent = parent.Fid.ToMsg(),
            Name = name,
            Mode = m.Mode & ~m.Umask & 0xFFF,
            Uid = r.Header.Uid,
            Gid = r.Header.Gid,
            Exclusive = true,
        }).ConfigureAwait(false);
        ReplyEntry(r, c, created.Attr);
    }

    private async Task RemoveAsync(FuseRequest r, FuseChannel c, bool directory)
    {
        RequireWritable(r);
        var parent = Inodes.Get(r.NodeId);
        var name = CheckName(r.ReadName());
        if (directory)
        {
            await Mds.RmdirAsync(parent.Fid, name).ConfigureAwait(false);
        }
        else
        {
            await Mds.UnlinkAsync(parent.Fid, name).ConfigureAwait(false);
        }

        c.ReplyEmpty(r.Unique);
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
        await Mds.RenameAsync(from.Fid, oldName, to.Fid, newName, flags).ConfigureAwait(false);
        c.ReplyEmpty(r.Unique);
    }

    /// <summary>link(2): the MDS has no Link call yet, so EPERM ("the file system does not support hard links", link(2)).</summary>
    private Task LinkAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        var link = r.Read<FuseLinkIn>();
        var target = Inodes.Get(link.OldNodeId);
        var parent = Inodes.Get(r.NodeId);
        var name = CheckName(r.ReadName());
        throw new MirrorException(Errno.EPERM, $"link {Describe(parent, name)} → {target.Fid}: hard links are not supported by this MDS");
    }

    private async Task StatfsAsync(FuseRequest r, FuseChannel c)
    {
        const uint blockSize = 4096;
        var s = await client.StatfsAsync().ConfigureAwait(false);
        var reply = new FuseStatfsOut
        {
            Blocks = s.TotalBytes / blockSize,
            Bfree = s.FreeBytes / blockSize,
            Bavail = s.FreeBytes / blockSize,
            Files = s.Files + (1UL << 32),
            Ffree = 1UL << 32,
            Bsize = blockSize,
            Frsize = blockSize,
            Namelen = NameMax,
        };
        c.Reply(r.Unique, in reply);
    }

    // ---- extended attributes: the MDS has no xattr calls yet; reads see none, writes are ENOTSUP ----

    private Task SetxattrAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        _ = r.Read<FuseSetxattrIn>();
        var name = r.ReadName();
        throw new MirrorException(Errno.ENOTSUP, $"setxattr {name}: extended attributes are not supported by this MDS");
    }

    private Task GetxattrAsync(FuseRequest r, FuseChannel c)
    {
        _ = r.Read<FuseGetxattrIn>();
        var name = r.ReadName();
        throw new MirrorException(Errno.ENODATA, $"getxattr {name}: no such attribute");
    }

    private Task ListxattrAsync(FuseRequest r, FuseChannel c)
    {
        var list = r.Read<FuseGetxattrIn>();
        if (list.Size == 0)
        {
            c.Reply(r.Unique, new FuseGetxattrOut { Size = 0 });
        }
        else
        {
            c.ReplyBytes(r.Unique, []);
        }

        return Task.CompletedTask;
    }

    private Task RemovexattrAsync(FuseRequest r, FuseChannel c)
    {
        RequireWritable(r);
        var name = r.ReadName();
        throw new MirrorException(Errno.ENODATA, $"removexattr {name}: no such attribute");
    }

}
