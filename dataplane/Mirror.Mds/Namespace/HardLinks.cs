using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Mds.Changelog;

namespace Mirror.Mds.Namespace;

/// <summary>link(2): another name for a regular file or symlink.</summary>
public sealed partial class NamespaceOperations
{
    /// <summary>The most names one inode may have (ext4's EXT4_LINK_MAX); one more is EMLINK.</summary>
    public const uint MaxLinks = 65000;

    /// <summary>Returns the file's attributes and the new parent's, both as of the commit.</summary>
    public Task<(InodeRecord Attr, InodeRecord Parent)> LinkAsync(Fid fid, Fid newParent, string newName) => model.MutateAsync(m =>
    {
        NameRules.Validate(newName);
        var inode = model.Get(fid);
        if (inode.IsDirectory)
        {
            throw new MirrorException(Errno.EPERM, $"cannot hard-link directory {fid} as '{newName}'");
        }

        var dir = tree.Directory(newParent);
        NamespaceTree.RequireFree(dir, newName);
        NamespaceTree.RequireSameVolume(inode, dir, $"link {fid} as '{newName}'");
        if (inode.Nlink >= MaxLinks)
        {
            throw new MirrorException(Errno.EMLINK, $"{fid} already has {inode.Nlink} links");
        }

        // Keep the primary name (changelog, split) where it was; the new name is only an entry.
        var (parent, name) = (inode.Parent, inode.Name);
        NamespaceTree.Link(m, dir, newName, inode);
        (inode.Parent, inode.Name) = (parent, name);
        inode.Nlink++;
        inode.CtimeNs = m.NowNs;
        m.Save(inode);
        m.Log(ChangelogKind.Hardlink, fid, dir.Fid, newName);
        return (inode.Snapshot(), dir.Snapshot());
    });
}
