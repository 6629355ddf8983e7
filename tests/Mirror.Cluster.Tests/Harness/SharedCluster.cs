namespace Mirror.Cluster.Tests.Harness;

/// <summary>
/// One cluster for a test class whose tests only look (status, metrics, refused calls, rejected input):
/// safe to share because none of them changes which processes run.
/// </summary>
public sealed class SharedCluster : IAsyncLifetime
{
    public LocalCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await LocalCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
