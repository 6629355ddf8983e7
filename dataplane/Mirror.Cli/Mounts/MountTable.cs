using Mirror.Core.Errors;

namespace Mirror.Cli.Mounts;

/// <summary>The mount table, asked which mount holds a local path (the longest mount point prefix).</summary>
public sealed class MountTable(IReadOnlyList<MountEntry> entries)
{
    public IReadOnlyList<MountEntry> Entries { get; } = entries;

    public static MountTable Current() => new(MountInfo.ReadCurrent());

    public static MountTable Parse(string mountinfo) => new(MountInfo.Parse(mountinfo));

    /// <summary>
    /// The mount whose mount point is the longest prefix (whole components) of <paramref name="localPath"/>,
    /// a normalized absolute path; of mounts stacked on one point, the last mounted. Null if none.
    /// </summary>
    public MountEntry? Containing(string localPath)
    {
        MountEntry? best = null;
        foreach (var entry in Entries)
        {
            if (IsUnder(localPath, entry.MountPoint) && (best is null || entry.MountPoint.Length >= best.MountPoint.Length))
            {
                best = entry;
            }
        }

        return best;
    }

    /// <summary>
    /// The Mirror mount <paramref name="localPath"/> is in, or null when the mount that holds it is not
    /// of type fuse.mirror. A fuse.mirror mount whose source names no MDS is an error (EINVAL).
    /// </summary>
    public MirrorMount? MirrorMountOf(string localPath)
    {
        var entry = Containing(localPath);
        if (entry is null || entry.FsType != MirrorMount.FsType)
        {
            return null;
        }

        if (!MirrorMount.TryParseSource(entry.Source, out var mds, out var root))
        {
            throw new MirrorException(Errno.EINVAL,
                $"{localPath} is in the Mirror mount at {entry.MountPoint}, whose source '{entry.Source}' names no MDS (expected {MirrorMount.SourcePrefix}HOST:PORT:/PATH)");
        }

        // A bind mount of a subtree shows that subtree's path in the mounted file system as its root.
        var mountedRoot = entry.Root is "" or "/" ? root : Client.Files.NamespacePath.Normalize($"{root}/{entry.Root}");
        return new MirrorMount(Trim(entry.MountPoint), mds, mountedRoot, entry.Source);
    }

    internal static bool IsUnder(string path, string mountPoint)
    {
        var point = Trim(mountPoint);
        return point == "/"
            ? path.StartsWith('/')
            : path.StartsWith(point, StringComparison.Ordinal) && (path.Length == point.Length || path[point.Length] == '/');
    }

    private static string Trim(string path) => path.Length > 1 ? path.TrimEnd('/') is { Length: > 0 } t ? t : "/" : path;
}
