using System.Text;

namespace Mirror.Cli.Mounts;

/// <summary>One line of /proc/self/mountinfo (proc(5)): the fields mirrorctl needs.</summary>
/// <param name="MountPoint">Where it is mounted, unescaped.</param>
/// <param name="Root">The directory of the mounted file system that appears at the mount point ("/" unless a bind mount of a subtree).</param>
/// <param name="FsType">File system type, e.g. "fuse.mirror".</param>
/// <param name="Source">The mount source ("fsname"), unescaped.</param>
/// <param name="SuperOptions">Per-superblock options (the last field).</param>
public sealed record MountEntry(string MountPoint, string Root, string FsType, string Source, string SuperOptions);

/// <summary>
/// Parses /proc/self/mountinfo. proc(5): "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root
/// rw,errors=continue" — id, parent, major:minor, root, mount point, options, optional fields up to a
/// lone "-", then type, source, super options. Space, tab, newline and backslash inside fields are
/// written as octal escapes (\040, \011, \012, \134) by the kernel's show_mountinfo/mangle().
/// </summary>
public static class MountInfo
{
    public const string ProcPath = "/proc/self/mountinfo";

    public static IReadOnlyList<MountEntry> Parse(string text)
    {
        var entries = new List<MountEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            var dash = fields.Length < 7 ? -1 : Array.IndexOf(fields, "-", 6);
            if (dash < 0 || fields.Length < dash + 3)
            {
                continue; // not a mountinfo line; a newer kernel's extra fields still parse by the "-" marker
            }

            entries.Add(new MountEntry(
                Unescape(fields[4]),
                Unescape(fields[3]),
                Unescape(fields[dash + 1]),
                Unescape(fields[dash + 2]),
                fields.Length > dash + 3 ? Unescape(fields[dash + 3]) : ""));
        }

        return entries;
    }

    /// <summary>Reads this process's mount table; an empty table when /proc is not there.</summary>
    public static IReadOnlyList<MountEntry> ReadCurrent()
    {
        try
        {
            return Parse(File.ReadAllText(ProcPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Undoes the kernel's \ooo octal escapes.</summary>
    public static string Unescape(string field)
    {
        if (!field.Contains('\\'))
        {
            return field;
        }

        var sb = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                sb.Append((char)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }

        return sb.ToString();
    }

    private static bool IsOctal(string s, int start) =>
        start + 2 < s.Length && s[start] is >= '0' and <= '3' && s[start + 1] is >= '0' and <= '7' && s[start + 2] is >= '0' and <= '7';
}
