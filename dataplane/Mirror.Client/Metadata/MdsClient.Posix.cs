using Google.Protobuf;
using Mirror.Core;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using MdsStatfsReply = Mirror.Protocol.Mds.StatfsReply;

namespace Mirror.Client.Metadata;

/// <summary>
/// What a POSIX mount needs beyond the lfs-style calls: creates with the caller's uid/gid, hard links,
/// extended attributes, readdir pages with stable cookies and attributes (readdirplus), per-volume statfs,
/// volumes (filesets with a capacity quota) and the quota grant (<see cref="ReserveSpaceAsync"/>).
/// </summary>
public sealed partial class MdsClient
{
    /// <summary>Create/Mkdir/Symlink with every field of the request (uid, gid, mode &amp; ~umask from the caller).</summary>
    public Task<CreateResult> CreateAsync(CreateRequest request, CancellationToken ct = default) =>
        CreateLikeAsync(MdsMethods.Create, request, ct);

    public Task<CreateResult> MkdirAsync(CreateRequest request, CancellationToken ct = default) =>
        CreateLikeAsync(MdsMethods.Mkdir, request, ct);

    public Task<CreateResult> SymlinkAsync(CreateRequest request, CancellationToken ct = default) =>
        CreateLikeAsync(MdsMethods.Symlink, request, ct);

    /// <summary>
    /// One readdir page: entries after <paramref name="cookie"/> (0 = from the start). Cookies are stable across
    /// concurrent creates and unlinks, so a FUSE readdir offset can be the last entry's cookie.
    /// </summary>
    public Task<ReaddirReply> ReaddirPageAsync(Fid dir, ulong cookie, uint maxEntries, bool withAttrs, CancellationToken ct = default) =>
        ReadAsync<ReaddirRequest, ReaddirReply>(MdsMethods.Readdir,
            new ReaddirRequest { Fid = dir.ToMsg(), Cookie = cookie, MaxEntries = maxEntries, WithAttrs = withAttrs }, ct);

    /// <summary>link(2): a new name for a non-directory (EPERM for directories, EXDEV across volumes).</summary>
    public async Task<FileAttr> LinkAsync(Fid fid, Fid newParent, string newName, CancellationToken ct = default) =>
        (await LinkWithParentAsync(fid, newParent, newName, ct)).Attr;

    /// <summary>link(2), with the new parent's attributes as of the commit (null from an MDS that sends none).</summary>
    public async Task<(FileAttr Attr, FileAttr? ParentAttr)> LinkWithParentAsync(Fid fid, Fid newParent, string newName, CancellationToken ct = default)
    {
        var reply = await ModifyAsync<LinkRequest, Attr>(MdsMethods.Link,
            new LinkRequest { Fid = fid.ToMsg(), NewParent = newParent.ToMsg(), NewName = newName }, ct);
        return (FileAttr.FromMsg(reply), FileAttr.FromMsgOrNull(reply.ParentAttr));
    }

    // ---- namespace changes that return the directories' attributes (NFSv3 wcc data) ----

    /// <summary>unlink(2), with the directory's attributes as of the commit.</summary>
    public async Task<ParentAttrs> UnlinkWithParentAsync(Fid parent, string name, CancellationToken ct = default) =>
        ParentAttrs.FromMsg(await ModifyAsync<NameRequest, NamespaceReply>(MdsMethods.Unlink, new NameRequest { Parent = parent.ToMsg(), Name = name }, ct));

    /// <summary>rmdir(2), with the directory's attributes as of the commit.</summary>
    public async Task<ParentAttrs> RmdirWithParentAsync(Fid parent, string name, CancellationToken ct = default) =>
        ParentAttrs.FromMsg(await ModifyAsync<NameRequest, NamespaceReply>(MdsMethods.Rmdir, new NameRequest { Parent = parent.ToMsg(), Name = name }, ct));

    /// <summary>renameat2(2), with both directories' attributes as of the commit (<see cref="ParentAttrs.DstParent"/> = the destination).</summary>
    public async Task<ParentAttrs> RenameWithParentsAsync(Fid srcParent, string srcName, Fid dstParent, string dstName, uint flags = 0, CancellationToken ct = default) =>
        ParentAttrs.FromMsg(await ModifyAsync<RenameRequest, NamespaceReply>(MdsMethods.Rename, new RenameRequest
        {
            SrcParent = srcParent.ToMsg(),
            SrcName = srcName,
            DstParent = dstParent.ToMsg(),
            DstName = dstName,
            Flags = flags,
        }, ct));

    /// <summary>getxattr(2): ENODATA when absent, ENOTSUP outside the user./trusted. namespaces.</summary>
    public async Task<byte[]> GetXattrAsync(Fid fid, string name, CancellationToken ct = default) =>
        (await ReadAsync<XattrRequest, XattrReply>(MdsMethods.GetXattr, new XattrRequest { Fid = fid.ToMsg(), Name = name }, ct)).Value.ToByteArray();

    /// <summary>setxattr(2); <paramref name="flags"/>: 1 = XATTR_CREATE (EEXIST), 2 = XATTR_REPLACE (ENODATA).</summary>
    public Task SetXattrAsync(Fid fid, string name, ReadOnlyMemory<byte> value, uint flags = 0, CancellationToken ct = default) =>
        ModifyAsync<SetXattrRequest, Empty>(MdsMethods.SetXattr,
            new SetXattrRequest { Fid = fid.ToMsg(), Name = name, Value = ByteString.CopyFrom(value.Span), Flags = flags }, ct);

    public async Task<IReadOnlyList<string>> ListXattrAsync(Fid fid, CancellationToken ct = default) =>
        (await ReadAsync<FidRequest, ListXattrReply>(MdsMethods.ListXattr, new FidRequest { Fid = fid.ToMsg() }, ct)).Names;

    public Task RemoveXattrAsync(Fid fid, string name, CancellationToken ct = default) =>
        ModifyAsync<XattrRequest, Empty>(MdsMethods.RemoveXattr, new XattrRequest { Fid = fid.ToMsg(), Name = name }, ct);

    /// <summary>statfs of the volume holding <paramref name="fid"/> (its quota), or of the whole file system outside volumes.</summary>
    public Task<MdsStatfsReply> StatfsAsync(Fid fid, CancellationToken ct = default) =>
        ReadAsync<StatfsRequest, MdsStatfsReply>(MdsMethods.Statfs, new StatfsRequest { Fid = fid.ToMsg() }, ct);

    /// <summary>statfs of the volume named <paramref name="volume"/> (ENOENT if there is none).</summary>
    public Task<MdsStatfsReply> StatfsAsync(string volume, CancellationToken ct = default) =>
        ReadAsync<StatfsRequest, MdsStatfsReply>(MdsMethods.Statfs, new StatfsRequest { Volume = volume }, ct);

    // ---- volumes ----

    /// <summary>Idempotent: the same name and capacity return the existing volume; another capacity is EEXIST.</summary>
    public Task<VolumeInfo> CreateVolumeAsync(string name, ulong capacityBytes, string owner = "", LayoutSpec? layout = null, CancellationToken ct = default) =>
        ReadAsync<CreateVolumeRequest, VolumeInfo>(MdsMethods.CreateVolume,
            new CreateVolumeRequest { Name = name, CapacityBytes = capacityBytes, Owner = owner, Layout = layout }, ct);

    public Task<VolumeInfo> GetVolumeAsync(string name, CancellationToken ct = default) =>
        ReadAsync<VolumeRequest, VolumeInfo>(MdsMethods.GetVolume, new VolumeRequest { Name = name }, ct);

    public async Task<IReadOnlyList<VolumeInfo>> ListVolumesAsync(CancellationToken ct = default) =>
        (await ReadAsync<Empty, ListVolumesReply>(MdsMethods.ListVolumes, new Empty(), ct)).Volumes;

    /// <summary>ENOTEMPTY when the volume holds anything, unless <paramref name="force"/> (its files are destroyed).</summary>
    public Task DeleteVolumeAsync(string name, bool force = false, CancellationToken ct = default) =>
        ModifyAsync<VolumeRequest, Empty>(MdsMethods.DeleteVolume, new VolumeRequest { Name = name, Force = force }, ct);

    public Task<VolumeInfo> ResizeVolumeAsync(string name, ulong capacityBytes, CancellationToken ct = default) =>
        ReadAsync<ResizeVolumeRequest, VolumeInfo>(MdsMethods.ResizeVolume,
            new ResizeVolumeRequest { Name = name, CapacityBytes = capacityBytes }, ct);

    /// <summary>
    /// Quota grant: reserves the file's space up to <paramref name="newEnd"/> before an extending write is sent.
    /// ENOSPC when the volume would pass its capacity (nothing is charged then). Idempotent, so retried.
    /// </summary>
    public Task<ReserveSpaceReply> ReserveSpaceAsync(Fid fid, ulong newEnd, CancellationToken ct = default) =>
        ReadAsync<ReserveSpaceRequest, ReserveSpaceReply>(MdsMethods.ReserveSpace,
            new ReserveSpaceRequest { Fid = fid.ToMsg(), NewEnd = newEnd }, ct);
}
