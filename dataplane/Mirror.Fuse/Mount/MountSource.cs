using System.Diagnostics.CodeAnalysis;

namespace Mirror.Fuse.Mount;

/// <summary>
/// The mount source (fsname) a Mirror FUSE mount shows in /proc/self/mountinfo:
/// <c>mirror@HOST:PORT:/PATH</c>, e.g. <c>mirror@127.0.0.1:7000:/volumes/vol1</c>, so a tool running
/// inside the mount finds the MDS and the mounted subtree. PATH is the mounted directory (for a volume,
/// /volumes/NAME); HOST:PORT is everything between "mirror@" and the first ":/".
/// </summary>
public sealed record MountSource(string MdsAddress, string Path)
{
    public const string Prefix = "mirror@";

    public override string ToString() => $"{Prefix}{MdsAddress}:{Path}";

    /// <summary>The volume name when <see cref="Path"/> is /volumes/NAME.</summary>
    public string? Volume => Path.StartsWith("/volumes/", StringComparison.Ordinal) && Path.IndexOf('/', 9) < 0 ? Path[9..] : null;

    public static bool TryParse(string? text, [NotNullWhen(true)] out MountSource? source)
    {
        source = null;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = text[Prefix.Length..];
        var split = rest.IndexOf(":/", StringComparison.Ordinal);
        if (split <= 0)
        {
            return false;
        }

        source = new MountSource(rest[..split], rest[(split + 1)..]);
        return true;
    }
}
