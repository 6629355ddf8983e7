using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Mds.Changelog;
using Mirror.Mds.Store;

namespace Mirror.Mds.Namespace;

/// <summary>
/// Directory-tree primitives shared by namespace and layout operations (split makes a file, extend -f removes
/// one). Checks throw before anything changes; changers record their durable side on the <see cref="Mutation"/>.
/// Call under <see cref="MdsModel.Sync"/>.
/// </summary>
public sealed class NamespaceTree(MdsModel model)
{
    public Inode Directory(Fid fid)
    {
        var inode = model.Get(fid);
        return inode.IsDirectory ? inode : throw new MirrorException(Errno.ENOTDIR, $"{fid} is not a directory");
    }

    public Inode RegularFile(Fid fid)
    {
        var inode = model.Get(fid);
        return inode.Type switch
        {
            InodeType.Regular => inode,
            InodeType.Directory => throw new MirrorException(Errno.EISDIR, $"{fid} is a directory, not a regular file"),
            _ => throw new MirrorException(Errno.EINVAL, $"{fid} is a symlink, not a regular file"),
        };
    }

    /// <summary>Throws EEXIST when <paramref name="name"/> is taken in <paramref name="dir"/>.</summary>
    public static void RequireFree(Inode dir, string name)
    {
        if (dir.Entries.ContainsKey(name))
        {
            throw new MirrorException(Errno.EEXIST, $"'{name}' already exists in {dir.Fid}");
        }
    }

    public static DirEntry Entry(Inode dir, string name) =>
        dir.Entries.TryGetValue(name, out var entry) ? entry : throw new MirrorException(Errno.ENOENT, $"no '{name}' in {dir.Fid}");

    /// <summary>Gives <paramref name="inode"/> the name <paramref name="name"/> in <paramref name="dir"/>.</summary>
    public static void Link(Mutation m, Inode dir, string name, Inode inode)
    {
        m.AddEntry(dir, new DirEntry(name, inode.Fid, inode.Type, dir.NextCookie++));
        inode.Parent = dir.Fid;
        inode.Name = name;
        if (inode.Volume is null && dir.Volume is not null)
        {
            // A new inode inside a volume (renames and links across volumes are EXDEV, so nothing else moves in).
            inode.Volume = dir.Volume;
            dir.Volume.Files++;
        }

        if (inode.IsDirectory)
        {
            dir.Nlink++;
        }

        dir.MtimeNs = dir.CtimeNs = m.NowNs;
        m.Save(inode);
    }

    /// <summary>Removes the name of <paramref name="entry"/> from <paramref name="dir"/> (not the inode).</summary>
    public static void Unlink(Mutation m, Inode dir, DirEntry entry)
    {
        m.RemoveEntry(dir, entry);
        if (entry.Type == InodeType.Directory)
        {
            dir.Nlink--;
        }

        dir.MtimeNs = dir.CtimeNs = m.NowNs;
    }

    /// <summary>
    /// Drops a name and, with its last link, the inode; a regular file's objects become orphans (destroyed in
    /// the background, durably queued in this same transaction).
    /// </summary>
    public void RemoveAndRelease(Mutation m, Inode dir, DirEntry entry, ChangelogKind kind)
    {
        var inode = model.Get(entry.Fid);
        Unlink(m, dir, entry);
        inode.Nlink = inode.IsDirectory ? 0 : inode.Nlink - 1;
        inode.CtimeNs = m.NowNs;
        if (inode.Nlink == 0)
        {
            if (inode.Layout is not null)
            {
                m.Orphan(inode.Layout.Objects(inode.Fid));
            }

            m.Delete(inode);
        }
        else
        {
            m.Save(inode);
        }

        m.Log(kind, inode.Fid, dir.Fid, entry.Name);
    }

    /// <summary>EXDEV unless <paramref name="inode"/> may get a name in <paramref name="dir"/>: both in the same volume or both outside any.</summary>
    public static void RequireSameVolume(Inode inode, Inode dir, string what)
    {
        if (inode.Volume != dir.Volume)
        {
            throw new MirrorException(Errno.EXDEV,
                $"{what}: {inode.Fid} is in {VolumeOf(inode)} but {dir.Fid} is in {VolumeOf(dir)}; volumes are separate file systems");
        }
    }

    /// <summary>EBUSY for a volume's root directory: only the volume calls remove or move it.</summary>
    public static void RequireNotVolumeRoot(Inode inode, string what)
    {
        if (inode.Volume is { } volume && volume.Root == inode.Fid)
        {
            throw new MirrorException(Errno.EBUSY, $"{what}: {volume.Path} is the root of volume '{volume.Name}' (use the volume commands)");
        }
    }

    private static string VolumeOf(Inode inode) => inode.Volume is null ? "no volume" : $"volume '{inode.Volume.Name}'";

    /// <summary>True when <paramref name="fid"/> is <paramref name="ancestor"/> or lies below it.</summary>
    public bool IsWithin(Fid fid, Fid ancestor)
    {
        var current = fid;
        for (var depth = 0; depth < 100_000; depth++)
        {
            if (current == ancestor)
            {
                return true;
            }

            if (current == Fid.Root)
            {
                return false;
            }

            current = model.Get(current).Parent;
        }

        throw new MirrorException(Errno.EIO, $"directory loop above {fid}");
    }
}
