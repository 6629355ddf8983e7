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
            cluster ??= await StartClusterAsync(Path.Combine(scratch, "cluster"));
            client = await MirrorClient.ConnectAsync(cluster.MdsAddress, cluster.Token, ct: ct);
        }

        return client;
    }

    /// <summary>A cluster that came up halfway is taken down again (by the PIDs mirrorctl recorded) before the error is reported.</summary>
    private static async Task<BenchCluster> StartClusterAsync(string dir)
    {
        try
        {
            return await BenchCluster.StartAsync(dir);
        }
        catch (InvalidOperationException e)
        {
            await Shell.TryRunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "mirrorctl.dll"), "local", "down", "--purge", "--dir", dir],
                CancellationToken.None);
            throw new TargetUnavailableException($"the local cluster did not start: {e.Message.Split('\n')[0]}");
        }
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
