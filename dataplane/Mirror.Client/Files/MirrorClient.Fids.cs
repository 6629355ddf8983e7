using Mirror.Client.Metadata;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Protocol.Mds;

namespace Mirror.Client.Files;

/// <summary>
/// Handles by FID rather than by path, for callers that keep their own inode table (the FUSE bridge):
/// the kernel names files by node id, which the bridge maps to a FID. <c>path</c> only names the file in
/// error messages.
/// </summary>
public sealed partial class MirrorClient
{
    /// <summary>Opens the regular file <paramref name="fid"/> (GetLayout: fresh attributes and layout, close-to-open).</summary>
    public async Task<MirrorFile> OpenAsync(Fid fid, string path, CancellationToken ct = default)
    {
        var layout = await WithPath(path, () => Mds.GetLayoutAsync(fid, ct));
        return layout.Attr.Kind == FileKind.Regular
            ? new MirrorFile(this, path, layout.Attr, layout.Layout)
            : throw new MirrorException(layout.Attr.Kind == FileKind.Directory ? Errno.EISDIR : Errno.EINVAL, $"{path}: not a regular file");
    }

    /// <summary>Creates (or opens, unless <see cref="CreateRequest.Exclusive"/>) the regular file <paramref name="request"/> names, owned as it says.</summary>
    public async Task<MirrorFile> CreateAsync(CreateRequest request, string path, CancellationToken ct = default) =>
        (await CreateWithParentAsync(request, path, ct)).File;
}
