using Mirror.Cli.Commands;
using Mirror.Cli.Local;
using Mirror.Core.Errors;

namespace Mirror.Cli.Mounts;

/// <summary>
/// The cluster a command talks to when its paths are in Mirror mounts: the MDS named by the mount
/// source, and a token from --token-file, $MIRROR_TOKEN_FILE, or a local cluster folder whose MDS is
/// that one (--cluster, $MIRROR_CLUSTER_DIR, the nearest .mirror/local from the working directory, then
/// from the mount point). The mount never carries the token.
/// </summary>
public static class MountEndpoint
{
    /// <summary>
    /// The endpoint for the mounts <paramref name="paths"/> used (or, with no mount path and no explicit
    /// --mds/--cluster, the mount the working directory is in); null when no mount is involved, so the
    /// usual <see cref="ClusterLocator"/> rules apply.
    /// </summary>
    public static ClusterEndpoint? Resolve(MountPathResolver paths, GlobalOptions options, string workingDirectory)
    {
        var mount = Choose(paths, options);
        if (mount is null)
        {
            return null;
        }

        if (options.MdsAddress is { } mds && !SameAddress(mds, mount.MdsAddress))
        {
            throw new MirrorException(Errno.EINVAL,
                $"--mds {mds}: {mount.MountPoint} is a Mirror mount of the MDS at {mount.MdsAddress}; leave --mds out or give that address");
        }

        var tokenFile = Blank(options.TokenFile) ?? Blank(Environment.GetEnvironmentVariable(ClusterLocator.TokenFileVariable));
        if (tokenFile is not null)
        {
            return new ClusterEndpoint(mount.MdsAddress, ClusterLocator.ReadToken(tokenFile), null);
        }

        foreach (var dir in ClusterFolders(options, workingDirectory, mount))
        {
            if (ClusterState.Load(dir) is { } cluster && cluster.Processes.Any(p => p.Role == "mds" && SameAddress(p.Address, mount.MdsAddress)))
            {
                return new ClusterEndpoint(mount.MdsAddress, ClusterLocator.ReadToken(cluster.TokenFile), dir);
            }
        }

        throw new MirrorException(Errno.ENOENT,
            $"{mount.MountPoint} is a Mirror mount of the MDS at {mount.MdsAddress}, and no local cluster folder is that cluster: pass --token-file FILE (or {ClusterLocator.TokenFileVariable}) with its token");
    }

    private static MirrorMount? Choose(MountPathResolver paths, GlobalOptions options)
    {
        var used = paths.MountsUsed;
        var clusters = used.Select(m => m.MdsAddress).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (clusters.Count > 1)
        {
            var a = used[0];
            var b = used.First(m => !SameAddress(m.MdsAddress, a.MdsAddress));
            throw new MirrorException(Errno.EINVAL,
                $"{a.MountPoint} and {b.MountPoint} are mounts of different clusters (MDS {a.MdsAddress} and {b.MdsAddress}); run one mirrorctl per cluster");
        }

        if (used.Count > 0)
        {
            return used[0];
        }

        // Inside a mount with nothing said about the cluster, the mount's cluster is meant (lfs in Lustre).
        return options.MdsAddress is null && options.ClusterDir is null ? paths.WorkingDirectoryMount : null;
    }

    private static IEnumerable<string> ClusterFolders(GlobalOptions options, string workingDirectory, MirrorMount mount)
    {
        if (Blank(options.ClusterDir) is { } explicitDir)
        {
            yield return Path.GetFullPath(explicitDir);
        }

        if (Blank(Environment.GetEnvironmentVariable(ClusterLocator.ClusterDirVariable)) is { } envDir)
        {
            yield return Path.GetFullPath(envDir);
        }

        if (ClusterLocator.FindNearest(workingDirectory) is { } nearCwd)
        {
            yield return nearCwd;
        }

        // The local cluster mounts under its own folder (DIR/mnt/NAME): walk up from there.
        for (var dir = Path.GetDirectoryName(mount.MountPoint); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(ClusterState.PathIn(dir)))
            {
                yield return dir;
            }
        }
    }

    internal static bool SameAddress(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
