using Mirror.Core;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;

namespace Mirror.Client.Metadata;

public enum FileKind
{
    Unknown = 0,
    Regular = 1,
    Directory = 2,
    Symlink = 3,
}

/// <summary>The attributes of an inode as the MDS reports them (mds.proto Attr). Size is the MDS's lazy size.</summary>
public sealed record FileAttr(
    Fid Fid,
    FileKind Kind,
    uint Mode,
    uint Uid,
    uint Gid,
    ulong Size,
    uint Nlink,
    DateTimeOffset Atime,
    DateTimeOffset Mtime,
    DateTimeOffset Ctime,
    uint LayoutGeneration,
    string SymlinkTarget,
    ulong DataVersion)
{
    public static FileAttr FromMsg(Attr a) => new(
        a.Fid.ToFid(),
        (FileKind)(int)a.Type,
        a.Mode,
        a.Uid,
        a.Gid,
        a.Size,
        a.Nlink,
        FromNs(a.AtimeNs),
        FromNs(a.MtimeNs),
        FromNs(a.CtimeNs),
        a.LayoutGeneration,
        a.SymlinkTarget,
        a.DataVersion);

    /// <summary>Null for an absent message (a field an older peer does not send).</summary>
    public static FileAttr? FromMsgOrNull(Attr? a) => a is null ? null : FromMsg(a);

    public static DateTimeOffset FromNs(long ns) => DateTimeOffset.UnixEpoch.AddTicks(ns / 100);

    public static long ToNs(DateTimeOffset t) => (t - DateTimeOffset.UnixEpoch).Ticks * 100;
}

/// <summary>An inode's attributes and its layout, as returned together by layout calls.</summary>
public sealed record LayoutResult(FileAttr Attr, FileLayout Layout)
{
    public static LayoutResult FromMsg(LayoutReply r) => new(FileAttr.FromMsg(r.Attr), r.Layout.ToModel());
}

/// <summary>
/// The result of Create/Mkdir/Symlink; <paramref name="Created"/> is false when the name existed (not exclusive).
/// <see cref="ParentAttr"/>: the parent directory's attributes as of the commit (NFSv3 wcc "after"); null from
/// an MDS that does not send them.
/// </summary>
public sealed record CreateResult(FileAttr Attr, FileLayout? Layout, bool Created)
{
    public FileAttr? ParentAttr { get; init; }

    public static CreateResult FromMsg(CreateReply r) =>
        new(FileAttr.FromMsg(r.Attr), r.Layout is null || r.Layout.Mirrors.Count == 0 ? null : r.Layout.ToModel(), r.Created)
        {
            ParentAttr = FileAttr.FromMsgOrNull(r.ParentAttr),
        };
}

/// <summary>
/// The directories' attributes as of the commit of an unlink, rmdir, rename or link (NFSv3 wcc "after"):
/// <see cref="Parent"/> is the directory named first (rename: the source), <see cref="DstParent"/> the rename's
/// destination. Null from an MDS that does not send them.
/// </summary>
public sealed record ParentAttrs(FileAttr? Parent, FileAttr? DstParent = null)
{
    public static ParentAttrs FromMsg(NamespaceReply r) => new(FileAttr.FromMsgOrNull(r.ParentAttr), FileAttr.FromMsgOrNull(r.DstParentAttr));
}

/// <summary>One directory entry.</summary>
public sealed record DirectoryEntry(string Name, Fid Fid, FileKind Kind);
