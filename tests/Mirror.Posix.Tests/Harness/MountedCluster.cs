using Mirror.Cluster.Tests.Harness;

namespace Mirror.Posix.Tests.Harness;

/// <summary>
/// One local cluster (MDS + 4 OSTs, real processes) with one `mirrord mount --path /` on it, shared by the
/// tests of a class; each test works in its own directory (<see cref="NewDir"/>). Disposal unmounts first,
/// then stops the cluster.
/// </summary>
public sealed class MountedCluster : IAsyncLifetime
{
    public LocalCluster Cluster { get; private set; } = null!;

    public MountProcess Mount { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await LocalCluster.StartAsync();
        Mount = await MountProcess.StartAsync(Cluster);
    }

    /// <summary>A fresh directory in the mount (mode 0777 so tests can act as another user in it).</summary>
    public string NewDir(string name)
    {
        var dir = Mount[$"{name}-{Guid.NewGuid().ToString("N")[..8]}"];
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)0x1FF);
        return dir;
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (Mount is not null)
            {
                await Mount.DisposeAsync();
            }
        }
        finally
        {
            if (Cluster is not null)
            {
                await Cluster.DisposeAsync();
            }
        }
    }
}
