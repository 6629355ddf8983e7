using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Mds.Changelog;

namespace Mirror.Mds.Namespace;

/// <summary>rename(2) and renameat2(2) (RENAME_NOREPLACE, RENAME_EXCHANGE) over the namespace.</summary>
public sealed partial class NamespaceOperations
{
    /// <summary>Returns both directories' attributes as of the commit (the same record twice when they are one).</summary>
    public Task<(InodeRecord SrcParent, InodeRecord DstParent)> RenameAsync(Fid srcParent, string srcName, Fid dstParent, string dstName, uint flags) => model.MutateAsync(m =>
    {
        if ((flags & ~(RenameNoReplace | RenameExchange)) != 0 || flags == (RenameNoReplace | RenameExchange))
        {
            throw new MirrorException(Errno.EINVAL, $"rename flags 0x{flags:x} are invalid (NOREPLACE=1 or EXCHANGE=2)");
        }

        NameRules.Validate(srcName);
        NameRules.Validate(dstName);
        var srcDir = tree.Directory(srcParent);
        var dstDir = tree.Directory(dstParent);
        var srcEntry = NamespaceTree.Entry(srcDir, srcName);
        dstDir.Entries.TryGetValue(dstName, out var dstEntry);
        if (dstEntry is not null && dstEntry.Fid == srcEntry.Fid)
        {
            return (srcDir.Snapshot(), dstDir.Snapshot()); // the same file under both names: rename(2) does nothing
        }

        var source = model.Get(srcEntry.Fid);
        NamespaceTree.RequireNotVolumeRoot(source, $"rename '{srcName}'");
        var replaced = dstEntry is null ? null : model.Get(dstEntry.Fid);
        if (replaced is not null)
        {
            NamespaceTree.RequireNotVolumeRoot(replaced, $"rename over '{dstName}'");
        }

        NamespaceTree.RequireSameVolume(source, dstDir, $"rename '{srcName}' to '{dstName}'");
        if (replaced is not null)
        {
            NamespaceTree.RequireSameVolume(replaced, srcDir, $"rename '{srcName}' to '{dstName}'");
        }

        if (source.IsDirectory && tree.IsWithin(dstDir.Fid, source.Fid))
        {
            throw new MirrorException(Errno.EINVAL, $"cannot move directory '{srcName}' into its own subtree ({dstDir.Fid})");
        }

        if (flags == RenameExchange)
        {
            if (dstEntry is null)
            {
                throw new MirrorException(Errno.ENOENT, $"RENAME_EXCHANGE: no '{dstName}' in {dstParent}");
            }

            var target = model.Get(dstEntry.Fid);
            if (target.IsDirectory && tree.IsWithin(srcDir.Fid, target.Fid))
            {
                throw new MirrorException(Errno.EINVAL, $"cannot move directory '{dstName}' into its own subtree ({srcDir.Fid})");
            }

            NamespaceTree.Unlink(m, srcDir, srcEntry);
            NamespaceTree.Unlink(m, dstDir, dstEntry);
            NamespaceTree.Link(m, dstDir, dstName, source);
            NamespaceTree.Link(m, srcDir, srcName, target);
            source.CtimeNs = target.CtimeNs = m.NowNs;
            m.Log(ChangelogKind.Rename, source.Fid, dstDir.Fid, dstName, $"exchange with {target.Fid} from {srcDir.Fid}/{srcName}");
            return (srcDir.Snapshot(), dstDir.Snapshot());
        }

        if (dstEntry is not null)
        {
            if (flags == RenameNoReplace)
            {
                throw new MirrorException(Errno.EEXIST, $"'{dstName}' exists in {dstParent} (RENAME_NOREPLACE)");
            }

            var target = model.Get(dstEntry.Fid);
            if (source.IsDirectory && !target.IsDirectory)
            {
                throw new MirrorException(Errno.ENOTDIR, $"cannot replace non-directory '{dstName}' with directory '{srcName}'");
            }

            if (!source.IsDirectory && target.IsDirectory)
            {
                throw new MirrorException(Errno.EISDIR, $"cannot replace directory '{dstName}' with non-directory '{srcName}'");
            }

            if (target.IsDirectory && target.Entries.Count > 0)
            {
                throw new MirrorException(Errno.ENOTEMPTY, $"directory '{dstName}' in {dstParent} is not empty");
            }

            tree.RemoveAndRelease(m, dstDir, dstEntry, target.IsDirectory ? ChangelogKind.Rmdir : ChangelogKind.Unlink);
        }

        NamespaceTree.Unlink(m, srcDir, srcEntry);
        NamespaceTree.Link(m, dstDir, dstName, source);
        source.CtimeNs = m.NowNs;
        m.Log(ChangelogKind.Rename, source.Fid, dstDir.Fid, dstName, $"from {srcDir.Fid}/{srcName}");
        return (srcDir.Snapshot(), dstDir.Snapshot());
    });
}
