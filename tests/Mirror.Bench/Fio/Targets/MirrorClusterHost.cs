using Mirror.Client.Files;

namespace Mirror.Bench.Fio.Targets;

/// <summary>One local cluster (real mirrord processes, <see cref="BenchCluster"/>) shared by the mirror targets, started on first use.</summary>
internal sealed class MirrorClusterHost(string scratch) : IAsyncDisposable
{
    private BenchCluster? cluster;
    private MirrorClient? client;

    public string MdsAddress => cluster?.MdsAddress ?? throw new InvalidOperationException("the cluster is not started");

    /// <summary>`mirrorctl local up` writes the cluster token here (LocalHelp: DIR/token, mode 0600).</summary>
    public string TokenFile => Path.Combine(cluster?.Dir ?? throw new InvalidOperationException("the cluster is not started"), "token");

    public async Task<MirrorClient> ClientAsync(CancellationToken ct)
    {
        if (client is null)
        {
            cluster ??= await BenchCluster.StartAsync(Path.Combine(scratch, "cluster"));
            client = await MirrorClient.ConnectAsync(cluster.MdsAddress, cluster.Token, ct: ct);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (client is not null)
        {
            await client.DisposeAsync();
        }

        if (cluster is not null)
        {
            await cluster.DisposeAsync();
        }
    }
}
