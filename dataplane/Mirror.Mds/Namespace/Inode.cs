using Mirror.Core;
using Mirror.Mds.Layouts;

namespace Mirror.Mds.Namespace;

/// <summary>Inode types; values equal mds.proto FileType.</summary>
public enum InodeType
{
    Regular = 1,
    Directory = 2,
    Symlink = 3,
}

/// <summary>A name in a directory. The cookie is the directory's entry id: stable, increasing, never reused.</summary>
public sealed record DirEntry(string Name, Fid Fid, InodeType Type, ulong Cookie);

/// <summary>
/// An inode of the in-memory model. Mutable, and only touched under <see cref="MdsModel.Sync"/>; what is
/// stored is a <see cref="InodeRecord"/> snapshot taken under that lock.
/// </summary>
public sealed class Inode
{
    public required Fid Fid { get; init; }

    public required InodeType Type { get; init; }

    /// <summary>Permission bits only (07777).</summary>
    public uint Mode { get; set; }

    public uint Uid { get; set; }

    public uint Gid { get; set; }

    public ulong Size { get; set; }

    public uint Nlink { get; set; }

    public long AtimeNs { get; set; }

    public long MtimeNs { get; set; }

    public long CtimeNs { get; set; }

    /// <summary>Bumped by every write intent (migrate detects concurrent writers); starts at 1 so 0 means "any".</summary>
    public ulong DataVersion { get; set; } = 1;

    public string? SymlinkTarget { get; init; }

    /// <summary>
    /// The directory holding this inode's primary name (the one changelog records and split use). A regular
    /// file with hard links has its other names in <see cref="Names"/>; directories have exactly one.
    /// </summary>
    public Fid Parent { get; set; }

    public string Name { get; set; } = "";

    /// <summary>Every (directory, name) that refers to this inode; derived from the dentries, not stored.</summary>
    public HashSet<(Fid Parent, string Name)> Names { get; } = [];

    /// <summary>Quota grant: the end up to which space is reserved for writes (mds.proto ReserveSpaceRequest).</summary>
    public ulong Reserved { get; set; }

    /// <summary>Bytes charged to <see cref="Volume"/> now: max(size, reserved) of a regular file, kept by <see cref="Mutation"/>.</summary>
    public ulong Charged { get; set; }

    /// <summary>The volume (fileset) this inode lies in; null outside every volume. Derived from the tree, not stored.</summary>
    public Volumes.Volume? Volume { get; set; }

    /// <summary>Extended attributes by full name ("user.x", "trusted.y").</summary>
    public SortedDictionary<string, byte[]> Xattrs { get; } = new(StringComparer.Ordinal);

    /// <summary>What this inode charges to its volume's quota (ARCHITECTURE §3): regular files only.</summary>
    public ulong QuotaCharge => Type == InodeType.Regular ? Math.Max(Size, Reserved) : 0;

    /// <summary>Directories: the cookie the next entry gets.</summary>
    public ulong NextCookie { get; set; } = 1;

    /// <summary>Regular files only.</summary>
    public StoredLayout? Layout { get; set; }

    /// <summary>Directories only: entries by name.</summary>
    public Dictionary<string, DirEntry> Entries { get; } = new(StringComparer.Ordinal);

    /// <summary>Directories only: the same entries in cookie order (readdir).</summary>
    public SortedDictionary<ulong, DirEntry> EntriesByCookie { get; } = [];

    public bool IsDirectory => Type == InodeType.Directory;

    public InodeRecord Snapshot() => new(Fid, Type, Mode, Uid, Gid, Size, Nlink, AtimeNs, MtimeNs, CtimeNs, DataVersion,
        SymlinkTarget, Parent, Name, NextCookie, Layout, Reserved);

    public static Inode FromRecord(InodeRecord r) => new()
    {
        Fid = r.Fid,
        Type = r.Type,
        Mode = r.Mode,
        Uid = r.Uid,
        Gid = r.Gid,
        Size = r.Size,
        Nlink = r.Nlink,
        AtimeNs = r.AtimeNs,
        MtimeNs = r.MtimeNs,
        CtimeNs = r.CtimeNs,
        DataVersion = r.DataVersion,
        SymlinkTarget = r.SymlinkTarget,
        Parent = r.Parent,
        Name = r.Name,
        NextCookie = r.NextCookie,
        Layout = r.Layout,
        Reserved = r.Reserved,
    };

    public void AddEntry(DirEntry entry)
    {
        Entries.Add(entry.Name, entry);
        EntriesByCookie.Add(entry.Cookie, entry);
    }

    public void RemoveEntry(DirEntry entry)
    {
        Entries.Remove(entry.Name);
        EntriesByCookie.Remove(entry.Cookie);
    }
}

/// <summary>An immutable copy of an inode's stored fields.</summary>
public sealed record InodeRecord(
    Fid Fid,
    InodeType Type,
    uint Mode,
    uint Uid,
    uint Gid,
    ulong Size,
    uint Nlink,
    long AtimeNs,
    long MtimeNs,
    long CtimeNs,
    ulong DataVersion,
    string? SymlinkTarget,
    Fid Parent,
    string Name,
    ulong NextCookie,
    StoredLayout? Layout,
    ulong Reserved = 0);
