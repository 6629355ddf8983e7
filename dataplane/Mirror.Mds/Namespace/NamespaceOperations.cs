using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Mds.Changelog;
using Mirror.Mds.Layouts;
using Mirror.Mds.Store;
using LayoutConvert = Mirror.Mds.Layouts.LayoutConvert;

namespace Mirror.Mds.Namespace;

/// <summary>What Create/Mkdir/Symlink ask for.</summary>
public sealed record CreateArgs(
    Fid Parent,
    string Name,
    InodeType Type,
    uint Mode,
    uint Uid,
    uint Gid,
    bool Exclusive = false,
    IReadOnlyList<MirrorRequest>? Layout = null,
    string? SymlinkTarget = null);

/// <summary>SetAttr; <see cref="Valid"/> holds mds.proto SetAttrValid bits.</summary>
public sealed record SetAttrArgs(Fid Fid, uint Valid, uint Mode = 0, uint Uid = 0, uint Gid = 0, ulong Size = 0, long AtimeNs = 0, long MtimeNs = 0, long CtimeNs = 0)
{
    public const uint ModeBit = 1, UidBit = 2, GidBit = 4, SizeBit = 8, AtimeBit = 16, MtimeBit = 32, CtimeBit = 64;
}

/// <summary>
/// The namespace (Lustre mdd): lookups, create/mkdir/symlink, unlink/rmdir, rename, attributes. Reads take the
/// model lock briefly; changes go through <see cref="MdsModel.MutateAsync{T}"/> and answer once durable.
/// </summary>
public sealed partial class NamespaceOperations(MdsModel model, NamespaceTree tree, LayoutOperations layouts)
{
    public const uint RenameNoReplace = 1;
    public const uint RenameExchange = 2;

    /// <summary>S_ISGID (02000).</summary>
    public const uint SetGid = 0x400;

    public InodeRecord GetAttr(Fid fid) => model.Read(() => model.Get(fid).Snapshot());

    public InodeRecord Lookup(Fid parent, string name) => model.Read(() =>
    {
        var dir = tree.Directory(parent);
        if (name is "." or "..")
        {
            // Only an NFS-exported mount asks the file system for these; the kernel resolves them otherwise.
            return (name == "." ? dir : model.Get(dir.Parent)).Snapshot();
        }

        NameRules.Validate(name);
        return model.Get(NamespaceTree.Entry(dir, name).Fid).Snapshot();
    });

    /// <summary>Resolves an absolute path from the root without following a final (or any) symlink.</summary>
    public InodeRecord ResolvePath(string path) => model.Read(() =>
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            throw new MirrorException(Errno.EINVAL, $"path '{path}' is not absolute");
        }

        var current = model.Get(Fid.Root);
        var walked = "";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!current.IsDirectory)
            {
                throw new MirrorException(Errno.ENOTDIR,
                    current.Type == InodeType.Symlink
                        ? $"'{walked}' in path '{path}' is a symlink; the MDS does not follow symlinks inside paths"
                        : $"'{walked}' in path '{path}' is not a directory");
            }

            if (part == ".")
            {
                continue;
            }

            current = part == ".."
                ? model.Get(current.Parent)
                : current.Entries.TryGetValue(part, out var entry)
                    ? model.Get(entry.Fid)
                    : throw new MirrorException(Errno.ENOENT, $"no '{part}' in '{(walked.Length == 0 ? "/" : walked)}' (path '{path}')");
            walked += "/" + part;
        }

        if (path.Length > 1 && path[^1] == '/' && !current.IsDirectory)
        {
            throw new MirrorException(Errno.ENOTDIR, $"path '{path}' ends in '/' but '{walked}' is not a directory");
        }

        return current.Snapshot();
    });

    /// <summary>Entries after <paramref name="cookie"/> in cookie order; cookies stay valid across changes and restarts.</summary>
    public (IReadOnlyList<DirEntry> Entries, bool Eof) Readdir(Fid fid, ulong cookie, int maxEntries) => model.Read(() =>
    {
        var dir = tree.Directory(fid);
        var max = maxEntries <= 0 ? 1024 : Math.Min(maxEntries, 65536);
        var page = dir.EntriesByCookie.Where(e => e.Key > cookie).Take(max + 1).Select(e => e.Value).ToList();
        var eof = page.Count <= max;
        if (!eof)
        {
            page.RemoveAt(max);
        }

        return ((IReadOnlyList<DirEntry>)page, eof);
    });

    /// <summary>readdirplus: <see cref="Readdir"/> with each entry's attributes, read under the same lock.</summary>
    public (IReadOnlyList<(DirEntry Entry, InodeRecord Attr)> Entries, bool Eof) ReaddirPlus(Fid fid, ulong cookie, int maxEntries) => model.Read(() =>
    {
        var (entries, eof) = Readdir(fid, cookie, maxEntries);
        return ((IReadOnlyList<(DirEntry, InodeRecord)>)entries.Select(e => (e, model.Get(e.Fid).Snapshot())).ToList(), eof);
    });

    /// <summary>Create/Mkdir/Symlink; <c>Parent</c> is the directory's attributes as of the commit (NFSv3 wcc "after").</summary>
    public Task<(InodeRecord Attr, bool Created, InodeRecord Parent)> CreateAsync(CreateArgs args) => model.MutateAsync(m =>
    {
        NameRules.Validate(args.Name);
        var dir = tree.Directory(args.Parent);
        if (dir.Entries.TryGetValue(args.Name, out var existing))
        {
            if (args.Exclusive || args.Type != InodeType.Regular)
            {
                throw new MirrorException(Errno.EEXIST, $"'{args.Name}' already exists in {args.Parent}");
            }

            return existing.Type == InodeType.Directory
                ? throw new MirrorException(Errno.EISDIR, $"'{args.Name}' in {args.Parent} is a directory")
                : (model.Get(existing.Fid).Snapshot(), false, dir.Snapshot());
        }

        if (args.Type == InodeType.Symlink)
        {
            NameRules.ValidateSymlinkTarget(args.SymlinkTarget);
        }

        var fid = m.AllocateFid();
        var layout = args.Type == InodeType.Regular
            ? layouts.NewLayout(fid, args.Layout ?? LayoutConvert.Requests(dir.Volume?.Layout))
            : null;

        // A set-group-ID directory hands its group to new entries, and S_ISGID to new subdirectories (POSIX
        // mkdir/open; the kernel checks permissions, the MDS stores what it is told).
        var setgidDir = (dir.Mode & SetGid) != 0;
        var mode = args.Type == InodeType.Symlink ? 0x1FF : args.Mode & 0xFFF; // symlinks read 0777, as on Linux
        var inode = new Inode
        {
            Fid = fid,
            Type = args.Type,
            Mode = setgidDir && args.Type == InodeType.Directory ? mode | SetGid : mode,
            Uid = args.Uid,
            Gid = setgidDir ? dir.Gid : args.Gid,
            Nlink = args.Type == InodeType.Directory ? 2u : 1u,
            AtimeNs = m.NowNs,
            MtimeNs = m.NowNs,
            CtimeNs = m.NowNs,
            SymlinkTarget = args.Type == InodeType.Symlink ? args.SymlinkTarget : null,
            Size = args.Type == InodeType.Symlink ? (ulong)System.Text.Encoding.UTF8.GetByteCount(args.SymlinkTarget!) : 0,
            Layout = layout,
        };
        m.Add(inode);
        NamespaceTree.Link(m, dir, args.Name, inode);
        var kind = args.Type switch
        {
            InodeType.Directory => ChangelogKind.Mkdir,
            InodeType.Symlink => ChangelogKind.Symlink,
            _ => ChangelogKind.Create,
        };
        m.Log(kind, fid, dir.Fid, args.Name, args.Type == InodeType.Symlink ? args.SymlinkTarget! : "");
        return (inode.Snapshot(), true, dir.Snapshot());
    });

    /// <summary>unlink(2); returns the directory's attributes as of the commit.</summary>
    public Task<InodeRecord> UnlinkAsync(Fid parent, string name) => model.MutateAsync(m =>
    {
        NameRules.Validate(name);
        var dir = tree.Directory(parent);
        var entry = NamespaceTree.Entry(dir, name);
        if (entry.Type == InodeType.Directory)
        {
            throw new MirrorException(Errno.EISDIR, $"'{name}' in {parent} is a directory (use rmdir)");
        }

        tree.RemoveAndRelease(m, dir, entry, ChangelogKind.Unlink);
        return dir.Snapshot();
    });

    /// <summary>rmdir(2); returns the directory's attributes as of the commit.</summary>
    public Task<InodeRecord> RmdirAsync(Fid parent, string name) => model.MutateAsync(m =>
    {
        NameRules.Validate(name);
        var dir = tree.Directory(parent);
        var entry = NamespaceTree.Entry(dir, name);
        if (entry.Type != InodeType.Directory)
        {
            throw new MirrorException(Errno.ENOTDIR, $"'{name}' in {parent} is not a directory");
        }

        var target = model.Get(entry.Fid);
        NamespaceTree.RequireNotVolumeRoot(target, $"rmdir '{name}'");
        if (target.Entries.Count > 0)
        {
            throw new MirrorException(Errno.ENOTEMPTY, $"directory '{name}' in {parent} is not empty");
        }

        tree.RemoveAndRelease(m, dir, entry, ChangelogKind.Rmdir);
        return dir.Snapshot();
    });

    public Task<InodeRecord> SetAttrAsync(SetAttrArgs a) => model.MutateAsync(m =>
    {
        var inode = model.Get(a.Fid);
        var sizeChange = (a.Valid & SetAttrArgs.SizeBit) != 0;
        if (sizeChange && inode.Type != InodeType.Regular)
        {
            throw new MirrorException(inode.IsDirectory ? Errno.EISDIR : Errno.EINVAL, $"cannot set the size of {a.Fid}: not a regular file");
        }

        if ((a.Valid & SetAttrArgs.ModeBit) != 0)
        {
            inode.Mode = a.Mode & 0xFFF;
        }

        if ((a.Valid & SetAttrArgs.UidBit) != 0)
        {
            inode.Uid = a.Uid;
        }

        if ((a.Valid & SetAttrArgs.GidBit) != 0)
        {
            inode.Gid = a.Gid;
        }

        if (sizeChange && inode.Volume is { } volume && a.Size > inode.Charged && volume.Used + (a.Size - inode.Charged) > volume.Capacity)
        {
            throw new MirrorException(Errno.ENOSPC,
                $"truncate of {a.Fid} to {a.Size} bytes would take volume '{volume.Name}' past its capacity ({volume.Used} of {volume.Capacity} bytes used)");
        }

        if (sizeChange)
        {
            // A truncate changes data: migrate (SwapLayouts with a data version) must notice it. It also ends
            // the quota reservation: the charge becomes the new size (Mutation settles the volume's usage).
            inode.Size = a.Size;
            inode.Reserved = 0;
            inode.MtimeNs = m.NowNs;
            inode.DataVersion++;
        }

        if ((a.Valid & SetAttrArgs.AtimeBit) != 0)
        {
            inode.AtimeNs = a.AtimeNs;
        }

        if ((a.Valid & SetAttrArgs.MtimeBit) != 0)
        {
            inode.MtimeNs = a.MtimeNs;
        }

        inode.CtimeNs = (a.Valid & SetAttrArgs.CtimeBit) != 0 ? a.CtimeNs : m.NowNs;
        m.Save(inode);
        m.Log(sizeChange ? ChangelogKind.Trunc : ChangelogKind.SetAttr, inode.Fid, inode.Parent, inode.Name,
            $"valid=0x{a.Valid:x}" + (sizeChange ? $" size={a.Size}" : ""));
        return inode.Snapshot();
    });

    /// <summary>Lazy size after writes: the size only grows here (truncate is SetAttr).</summary>
    public Task<InodeRecord> UpdateSizeAsync(Fid fid, ulong size, long mtimeNs) => model.MutateAsync(m =>
    {
        var inode = tree.RegularFile(fid);
        var changed = false;
        if (size > inode.Size)
        {
            inode.Size = size;
            inode.MtimeNs = Math.Max(inode.MtimeNs, mtimeNs > 0 ? mtimeNs : m.NowNs);
            changed = true;
        }
        else if (mtimeNs > inode.MtimeNs)
        {
            inode.MtimeNs = mtimeNs;
            changed = true;
        }

        if (changed)
        {
            m.Save(inode);
        }

        return inode.Snapshot();
    });
}
