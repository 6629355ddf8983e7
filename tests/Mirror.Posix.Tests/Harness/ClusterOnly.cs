using Mirror.Cluster.Tests.Harness;

namespace Mirror.Posix.Tests.Harness;

/// <summary>A local cluster shared by the tests of a class that mount and unmount on their own.</summary>
public sealed class ClusterOnly : IAsyncLifetime
{
    public LocalCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await LocalCluster.StartAsync(osts: 2);

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
