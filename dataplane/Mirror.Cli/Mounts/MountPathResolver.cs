using Mirror.Client.Files;

namespace Mirror.Cli.Mounts;

/// <summary>
/// Turns mirrorctl path arguments into file-system paths, as lfs does inside Lustre: an absolute local
/// path inside a mount of type fuse.mirror (longest mount point prefix in /proc/self/mountinfo) names
/// the file-system path under the mount's root; so does a relative path when the working directory is
/// inside such a mount. Any other argument keeps its old meaning, an absolute file-system path.
/// Records the mounts it used so the connection goes to their MDS (<see cref="MountEndpoint"/>).
/// </summary>
public sealed class MountPathResolver
{
    private readonly Lazy<MountTable> table;
    private readonly string workingDirectory;
    private readonly List<MirrorMount> used = [];

    public MountPathResolver(Func<MountTable> table, string workingDirectory)
    {
        this.table = new Lazy<MountTable>(table);
        this.workingDirectory = workingDirectory;
    }

    public static MountPathResolver ForThisProcess() => new(MountTable.Current, Directory.GetCurrentDirectory());

    /// <summary>The mounts path arguments were found in so far, first use first.</summary>
    public IReadOnlyList<MirrorMount> MountsUsed => used;

    /// <summary>The Mirror mount the working directory is in, or null.</summary>
    public MirrorMount? WorkingDirectoryMount => table.Value.MirrorMountOf(Path.GetFullPath(workingDirectory));

    public CliPath Resolve(string argument)
    {
        var mount = MountOf(argument, out var local);
        if (mount is null)
        {
            return new CliPath(argument, NamespacePath.Normalize(argument), null);
        }

        Use(mount);
        return new CliPath(argument, mount.ToFsPath(local!), mount);
    }

    /// <summary>
    /// Notes the mounts of every absolute argument (and of "--option=/path" values) before a command
    /// runs, so the connection it makes first already goes to the right MDS. Tokens that are not
    /// paths in a Mirror mount are ignored.
    /// </summary>
    public void Scan(IEnumerable<string> arguments)
    {
        foreach (var argument in arguments)
        {
            var value = argument.StartsWith('-') && argument.IndexOf('=') is > 0 and var eq ? argument[(eq + 1)..] : argument;
            if (value.StartsWith('/') && MountOf(value, out _) is { } mount)
            {
                Use(mount);
            }
        }
    }

    /// <summary>
    /// Rewrites file-system paths under the roots of the mounts used into their local paths, so an
    /// error about "/volumes/v/f" reads "/mnt/v/f" to a user who typed that.
    /// </summary>
    public string Localize(string message)
    {
        foreach (var mount in used.Where(m => m.Root != "/").OrderByDescending(m => m.Root.Length))
        {
            message = System.Text.RegularExpressions.Regex.Replace(
                message,
                $"(?<![^\\s'\"(])({System.Text.RegularExpressions.Regex.Escape(mount.Root)})(?=/|$|[\\s:'\",)])",
                _ => mount.MountPoint);
        }

        return message;
    }

    private MirrorMount? MountOf(string argument, out string? localPath)
    {
        localPath = null;
        if (argument.Length == 0 || argument.Contains('\0'))
        {
            return null;
        }

        // Lexical normalization only ("a/../b"): resolving symlinks would stat through the mount.
        var full = Path.GetFullPath(argument, Path.GetFullPath(workingDirectory));
        full = full.Length > 1 ? full.TrimEnd('/') : full;
        var mount = argument.StartsWith('/') || WorkingDirectoryMount is not null ? table.Value.MirrorMountOf(full) : null;
        localPath = mount is null ? null : full;
        return mount;
    }

    private void Use(MirrorMount mount)
    {
        if (!used.Contains(mount))
        {
            used.Add(mount);
        }
    }
}
