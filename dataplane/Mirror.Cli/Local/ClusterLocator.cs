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

    /// <summary>Throws MirrorException(ENOENT) with a message telling the user what to do when none is found.</summary>
    public static ClusterEndpoint Resolve(string? clusterDir, string? mdsAddress, string? tokenFile) =>
        throw new NotImplementedException();
}
