using Mirror.Client.Files;
using Mirror.Core.Errors;

namespace Mirror.Cli.Mounts;

/// <summary>
/// A Mirror FUSE mount as mirrorctl sees it in the mount table: where it is, which MDS serves it and
/// which directory of the file system namespace appears at the mount point.
/// The mount source `mirrord mount` writes is <c>mirror@HOST:PORT:/PATH</c> (PATH = the mounted
/// directory, /volumes/NAME for a volume), file system type <c>fuse.mirror</c>.
/// </summary>
/// <param name="MountPoint">The local directory, absolute, no trailing slash (except "/").</param>
/// <param name="MdsAddress">host:port of the MDS.</param>
/// <param name="Root">The file-system path that appears at <paramref name="MountPoint"/> (bind mounts of a subtree included).</param>
/// <param name="Source">The mount source as the table shows it.</param>
public sealed record MirrorMount(string MountPoint, string MdsAddress, string Root, string Source)
{
    public const string FsType = "fuse.mirror";
    public const string SourcePrefix = "mirror@";

    /// <summary>The source string for a mount of <paramref name="root"/> served by the MDS at <paramref name="mdsAddress"/>.</summary>
    public static string FormatSource(string mdsAddress, string root) => $"{SourcePrefix}{mdsAddress}:{NamespacePath.Normalize(root)}";

    /// <summary>Splits "mirror@HOST:PORT:/PATH" (HOST may be a bracketed IPv6 address); false if it is not that form.</summary>
    public static bool TryParseSource(string source, out string mdsAddress, out string root)
    {
        mdsAddress = root = "";
        if (!source.StartsWith(SourcePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = source[SourcePrefix.Length..];
        var hostEnd = rest.StartsWith('[') ? rest.IndexOf(']') : 0;
        var split = hostEnd < 0 ? -1 : rest.IndexOf(":/", hostEnd, StringComparison.Ordinal);
        if (split <= 0)
        {
            return false;
        }

        var address = rest[..split];
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || colon <= hostEnd || !ushort.TryParse(address[(colon + 1)..], out var port) || port == 0)
        {
            return false;
        }

        try
        {
            root = NamespacePath.Normalize(rest[(split + 1)..]);
        }
        catch (MirrorException)
        {
            return false;
        }

        mdsAddress = address;
        return true;
    }

    /// <summary>The file-system path of <paramref name="localPath"/>, a normalized absolute path at or under <see cref="MountPoint"/>.</summary>
    public string ToFsPath(string localPath)
    {
        var relative = localPath.Length == MountPoint.Length ? "" : localPath[MountPoint.Length..].TrimStart('/');
        return NamespacePath.Normalize(relative.Length == 0 ? Root : $"{Root}/{relative}");
    }

    /// <summary>The local path of <paramref name="fsPath"/> if it lies under <see cref="Root"/>, else null.</summary>
    public string? ToLocalPath(string fsPath)
    {
        if (fsPath == Root)
        {
            return MountPoint;
        }

        var prefix = Root == "/" ? "/" : Root + "/";
        return fsPath.StartsWith(prefix, StringComparison.Ordinal)
            ? (MountPoint == "/" ? "/" : MountPoint + "/") + fsPath[prefix.Length..]
            : null;
    }
}
