using System.Text;
using Mirror.Core.Errors;

namespace Mirror.Mds.Namespace;

/// <summary>What a directory entry name may be (POSIX; ARCHITECTURE §6: names are validated).</summary>
public static class NameRules
{
    /// <summary>NAME_MAX, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>PATH_MAX, for symlink targets.</summary>
    public const int MaxSymlinkBytes = 4095;

    public static void Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new MirrorException(Errno.EINVAL, "empty name");
        }

        if (name is "." or "..")
        {
            throw new MirrorException(Errno.EINVAL, $"'{name}' cannot be used as a name");
        }

        if (name.Contains('/'))
        {
            throw new MirrorException(Errno.EINVAL, $"name '{name}' contains '/'");
        }

        if (name.Contains('\0'))
        {
            throw new MirrorException(Errno.EINVAL, $"name '{name.Replace("\0", "\\0", StringComparison.Ordinal)}' contains NUL");
        }

        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxNameBytes)
        {
            throw new MirrorException(Errno.ENAMETOOLONG, $"name '{name[..16]}...' is {bytes} bytes, at most {MaxNameBytes}");
        }
    }

    public static void ValidateSymlinkTarget(string? target)
    {
        if (string.IsNullOrEmpty(target))
        {
            throw new MirrorException(Errno.ENOENT, "empty symlink target");
        }

        if (target.Contains('\0'))
        {
            throw new MirrorException(Errno.EINVAL, "symlink target contains NUL");
        }

        var bytes = Encoding.UTF8.GetByteCount(target);
        if (bytes > MaxSymlinkBytes)
        {
            throw new MirrorException(Errno.ENAMETOOLONG, $"symlink target is {bytes} bytes, at most {MaxSymlinkBytes}");
        }
    }
}
