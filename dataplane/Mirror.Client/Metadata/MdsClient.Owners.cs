using Mirror.Protocol.Mds;

namespace Mirror.Client.Metadata;

/// <summary>
/// Create, Mkdir and Symlink with a whole <see cref="CreateRequest"/>: the caller sets the owner (uid/gid of
/// the process that asked, as a FUSE mount does) and the mode after its umask.
/// </summary>
public sealed partial class MdsClient
{
    public Task<CreateResult> CreateAsync(CreateRequest request, CancellationToken ct = default) =>
        CreateLikeAsync(MdsMethods.Create, request, ct);

    public Task<CreateResult> MkdirAsync(CreateRequest request, CancellationToken ct = default) =>
        CreateLikeAsync(MdsMethods.Mkdir, request, ct);

    public Task<CreateResult> SymlinkAsync(CreateRequest request, CancellationToken ct = default) =>
        CreateLikeAsync(MdsMethods.Symlink, request, ct);
}
