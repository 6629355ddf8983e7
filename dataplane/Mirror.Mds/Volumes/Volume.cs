using Mirror.Core;
using Mirror.Protocol.Mds;

namespace Mirror.Mds.Volumes;

/// <summary>
/// A volume (ARCHITECTURE §3: a fileset): the directory subtree /volumes/NAME with a capacity quota, an owner
/// string and an optional default layout for new files in it. Mutable and only touched under
/// <see cref="Store.MdsModel.Sync"/>; <see cref="Used"/> changes through <see cref="Store.Mutation"/> in the same
/// transaction as the sizes and reservations it sums.
/// </summary>
public sealed class Volume
{
    public required string Name { get; init; }

    public required Fid Root { get; init; }

    public ulong Capacity { get; set; }

    /// <summary>Sum of <see cref="Namespace.Inode.QuotaCharge"/> over the volume's regular files.</summary>
    public ulong Used { get; set; }

    public string Owner { get; init; } = "";

    /// <summary>Default layout of new files in the volume; null = the MDS default.</summary>
    public LayoutSpec? Layout { get; init; }

    public long CreatedNs { get; init; }

    /// <summary>Inodes in the volume, its root included (not stored: counted at load).</summary>
    public long Files { get; set; }

    public string Path => VolumeNames.Directory + "/" + Name;

    public VolumeRecord Snapshot() => new(Name, Root, Capacity, Used, Owner, Layout?.Clone(), CreatedNs, Files);
}

/// <summary>An immutable copy of a volume's fields (stored row + the in-memory file count).</summary>
public sealed record VolumeRecord(string Name, Fid Root, ulong Capacity, ulong Used, string Owner, LayoutSpec? Layout, long CreatedNs, long Files)
{
    public string Path => VolumeNames.Directory + "/" + Name;
}
