using Mirror.Client.Metadata;
using Mirror.Core.Errors;
using Mirror.Protocol.Mds;
using MdsStatfsReply = Mirror.Protocol.Mds.StatfsReply;

namespace Mirror.Client.Files;

/// <summary>By-path forms of the POSIX metadata calls (hard links, xattrs, renameat2 flags, statfs of a volume).</summary>
public sealed partial class MirrorClient
{
    /// <summary>
    /// Create (open O_CREAT) by parent FID with every field of the request, returning the open file and the
    /// parent directory's attributes as of the commit (null from an MDS that does not send them).
    /// </summary>
    public async Task<(MirrorFile File, FileAttr? ParentAttr)> CreateWithParentAsync(CreateRequest request, string path, CancellationToken ct = default)
    {
        var created = await WithPath(path, () => Mds.CreateAsync(request, ct));
        if (created.Attr.Kind != FileKind.Regular)
        {
            throw new MirrorException(created.Attr.Kind == FileKind.Directory ? Errno.EISDIR : Errno.EINVAL, $"{path}: not a regular file");
        }

        var fileLayout = created.Layout ?? (await Mds.GetLayoutAsync(created.Attr.Fid, ct)).Layout;
        return (new MirrorFile(this, path, created.Attr, fileLayout) { Created = created.Created }, created.ParentAttr);
    }

    /// <summary>link(2): <paramref name="newPath"/> becomes another name of the file at <paramref name="existingPath"/>.</summary>
    public async Task<FileAttr> LinkAsync(string existingPath, string newPath, CancellationToken ct = default)
    {
        var existing = await StatAsync(existingPath, ct);
        var (parent, name) = NamespacePath.Split(newPath);
        var dir = await DirectoryAsync(parent, ct);
        return await WithPath(newPath, () => Mds.LinkAsync(existing.Fid, dir.Fid, name, ct));
    }

    /// <summary>renameat2(2): <paramref name="flags"/> 1 = RENAME_NOREPLACE, 2 = RENAME_EXCHANGE.</summary>
    public async Task RenameAsync(string from, string to, uint flags, CancellationToken ct = default)
    {
        var (srcParent, srcName) = NamespacePath.Split(from);
        var (dstParent, dstName) = NamespacePath.Split(to);
        var src = await DirectoryAsync(srcParent, ct);
        var dst = await DirectoryAsync(dstParent, ct);
        await WithPath(from, async () => { await Mds.RenameAsync(src.Fid, srcName, dst.Fid, dstName, flags, ct); return true; });
    }

    public async Task<byte[]> GetXattrAsync(string path, string name, CancellationToken ct = default)
    {
        var attr = await StatAsync(path, ct);
        return await WithPath(path, () => Mds.GetXattrAsync(attr.Fid, name, ct));
    }

    public async Task SetXattrAsync(string path, string name, ReadOnlyMemory<byte> value, uint flags = 0, CancellationToken ct = default)
    {
        var attr = await StatAsync(path, ct);
        await WithPath(path, async () => { await Mds.SetXattrAsync(attr.Fid, name, value, flags, ct); return true; });
    }

    public async Task<IReadOnlyList<string>> ListXattrAsync(string path, CancellationToken ct = default)
    {
        var attr = await StatAsync(path, ct);
        return await WithPath(path, () => Mds.ListXattrAsync(attr.Fid, ct));
    }

    public async Task RemoveXattrAsync(string path, string name, CancellationToken ct = default)
    {
        var attr = await StatAsync(path, ct);
        await WithPath(path, async () => { await Mds.RemoveXattrAsync(attr.Fid, name, ct); return true; });
    }

    /// <summary>statfs(2) of the volume holding <paramref name="path"/> (its capacity and usage), or of the whole file system.</summary>
    public async Task<MdsStatfsReply> StatfsAsync(string path, CancellationToken ct = default)
    {
        var attr = await StatAsync(path, ct);
        return await WithPath(path, () => Mds.StatfsAsync(attr.Fid, ct));
    }
}
