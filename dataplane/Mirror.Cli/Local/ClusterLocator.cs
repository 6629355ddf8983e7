using Mirror.Core.Errors;

namespace Mirror.Cli.Local;

/// <summary>How a command reaches a cluster: the MDS address and the cluster token.</summary>
/// <param name="MdsAddress">host:port of the MDS.</param>
/// <param name="Token">The cluster token every call carries.</param>
/// <param name="ClusterDir">The local cluster folder it came from, or null when given explicitly.</param>
public sealed record ClusterEndpoint(string MdsAddress, string Token, string? ClusterDir);

/// <summary>
/// Finds the cluster a command talks to, in this order: --mds HOST:PORT with --token-file FILE
/// (or MIRROR_MDS / MIRROR_TOKEN_FILE); else the local cluster folder given by --cluster DIR, or
/// MIRROR_CLUSTER_DIR, or the nearest ".mirror/local" from the working directory upward.
/// </summary>
public static class ClusterLocator
{
    public const string ClusterDirVariable = "MIRROR_CLUSTER_DIR";
    public const string MdsVariable = "MIRROR_MDS";
    public const string TokenFileVariable = "MIRROR_TOKEN_FILE";

    /// <summary>The folder `local up` uses under the project root.</summary>
    public const string LocalFolder = ".mirror/local";

    private const string Advice = "run `mirrorctl local up` or pass --mds HOST:PORT --token-file FILE";

    /// <summary>Throws MirrorException(ENOENT) with a message telling the user what to do when none is found.</summary>
    public static ClusterEndpoint Resolve(string? clusterDir, string? mdsAddress, string? tokenFile)
    {
        var mds = Blank(mdsAddress) ?? Blank(Environment.GetEnvironmentVariable(MdsVariable));
        var token = Blank(tokenFile) ?? Blank(Environment.GetEnvironmentVariable(TokenFileVariable));
        if (mds is not null)
        {
            if (token is null)
            {
                throw new MirrorException(Errno.EINVAL, $"--mds {mds} needs --token-file FILE (or {TokenFileVariable}) with the cluster token");
            }

            return new ClusterEndpoint(mds, ReadToken(token), null);
        }

        var dir = Blank(clusterDir) ?? Blank(Environment.GetEnvironmentVariable(ClusterDirVariable));
        if (dir is not null)
        {
            dir = Path.GetFullPath(dir);
            if (!File.Exists(ClusterState.PathIn(dir)))
            {
                throw new MirrorException(Errno.ENOENT, $"no cluster found in {dir} (no {ClusterState.FileName}): {Advice}");
            }
        }
        else
        {
            dir = FindNearest(Directory.GetCurrentDirectory())
                ?? throw new MirrorException(Errno.ENOENT, $"no cluster found: {Advice}");
        }

        var cluster = ClusterState.Load(dir)!;
        var address = cluster.Mds.Address;
        if (address.Length == 0)
        {
            throw new MirrorException(Errno.ENOENT, $"the cluster in {dir} has no MDS address yet: run `mirrorctl local up`");
        }

        return new ClusterEndpoint(address, ReadToken(token ?? cluster.TokenFile), dir);
    }

    /// <summary>The nearest folder DIR/.mirror/local holding a cluster.json, from <paramref name="start"/> upward; null if none.</summary>
    internal static string? FindNearest(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, LocalFolder);
            if (File.Exists(ClusterState.PathIn(candidate)))
            {
                return candidate;
            }
        }

        return null;
    }

    internal static string ReadToken(string path)
    {
        string token;
        try
        {
            token = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MirrorException(Errno.ENOENT, $"token file {path} does not exist: {Advice}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MirrorException(Errno.EACCES, $"token file {path} cannot be read: {e.Message}", e);
        }

        return token.Length > 0 ? token : throw new MirrorException(Errno.EINVAL, $"token file {path} is empty");
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
