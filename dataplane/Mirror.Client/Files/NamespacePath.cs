using Mirror.Core.Errors;

namespace Mirror.Client.Files;

/// <summary>
/// Absolute paths inside the file system namespace ("/", "/dir/f"). Every path a caller gives goes
/// through <see cref="Normalize"/>, the one place later mount-path translation hooks into.
/// </summary>
public static class NamespacePath
{
    public const int MaxNameBytes = 255;

    /// <summary>Collapses repeated and trailing slashes; refuses relative paths, "." and ".." components, NUL.</summary>
    public static string Normalize(string path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            throw new MirrorException(Errno.EINVAL, $"{path}: not an absolute path in the file system (paths start with /)");
        }

        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var part in parts)
        {
            if (part is "." or ".." || part.Contains('\0'))
            {
                throw new MirrorException(Errno.EINVAL, $"{path}: '.', '..' and NUL are not allowed in paths");
            }

            if (System.Text.Encoding.UTF8.GetByteCount(part) > MaxNameBytes)
            {
                throw new MirrorException(Errno.ENAMETOOLONG, $"{path}: name '{part[..16]}...' is longer than {MaxNameBytes} bytes");
            }
        }

        return "/" + string.Join('/', parts);
    }

    /// <summary>Parent path and final name of a normalized path; the root has no parent (EINVAL).</summary>
    public static (string Parent, string Name) Split(string path)
    {
        var normalized = Normalize(path);
        if (normalized == "/")
        {
            throw new MirrorException(Errno.EINVAL, "/: the root directory has no name");
        }

        var slash = normalized.LastIndexOf('/');
        return (slash == 0 ? "/" : normalized[..slash], normalized[(slash + 1)..]);
    }

    public static string Combine(string dir, string name) => dir == "/" ? "/" + name : dir + "/" + name;
}
