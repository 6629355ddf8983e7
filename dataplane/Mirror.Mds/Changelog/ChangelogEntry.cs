using Mirror.Core;

namespace Mirror.Mds.Changelog;

/// <summary>Record types; values equal mds.proto ChangelogType (Lustre's CL_* names).</summary>
public enum ChangelogKind
{
    Create = 1,
    Mkdir = 2,
    Unlink = 3,
    Rmdir = 4,
    Rename = 5,
    SetAttr = 6,
    Trunc = 7,
    Layout = 8,
    Flrw = 9,
    Resync = 10,
    Symlink = 11,
    Hardlink = 12,
    MirrorStale = 13,
}

/// <summary>One durable changelog record, written in the same transaction as the change it describes.</summary>
public sealed record ChangelogEntry(
    ulong Index,
    ChangelogKind Kind,
    long TimeNs,
    Fid Fid,
    Fid Parent,
    string Name,
    string Detail,
    IReadOnlyList<uint> MirrorIds);

/// <summary>A registered reader; records at or below every consumer's cleared index are purged.</summary>
public sealed record ChangelogConsumer(string Id, string Name, ulong ClearedIndex);
