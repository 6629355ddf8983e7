using Mirror.Client.Files;
using Mirror.Client.Metadata;
using Mirror.Client.Targets;
using Mirror.Mds.Host;
using Mirror.Ost.Host;

namespace Mirror.Client.Tests.Cluster;

/// <summary>
/// A real MDS and real OSTs in this process, on ephemeral 127.0.0.1 ports, with data dirs in a temp
/// folder that is deleted at the end. OSTs can be stopped and restarted (on a new port) by index.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    public const string Token = "client-tests-token";

    private readonly string root;
    private readonly OstHost?[] osts;
    private readonly string[] pools;

    private TestCluster(string root, MdsHost mds, OstHost?[] osts, string[] pools)
    {
        this.root = root;
        Mds = mds;
        this.osts = osts;
        this.pools = pools;
    }

    public MdsHost Mds { get; private set; }

    public int OstCount => osts.Length;

    /// <summary>Starts an MDS and one OST per entry of <paramref name="pools"/> (its pool name), and waits until all are registered and up.</summary>
    public static async Task<TestCluster> StartAsync(params string[] pools)
    {
        var root = Path.Combine(Path.GetTempPath(), "mirror-client-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var mds = await MdsHost.StartAsync(new MdsHostOptions { DataDir = Path.Combine(root, "mds"), Token = Token, MetricsPort = null });
        var cluster = new TestCluster(root, mds, new OstHost?[pools.Length], pools);
        for (var i = 0; i < pools.Length; i++)
        {
            await cluster.StartOstAsync(i);
        }

        await cluster.WaitForOstsUpAsync();
        return cluster;
    }

    /// <summary>Stops the MDS and starts it again on the same port and data dir (an MDS restart, IWM §2.2.5).</summary>
    public async Task RestartMdsAsync()
    {
        var port = int.Parse(Mds.Address.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);
        await Mds.DisposeAsync();
        Mds = await MdsHost.StartAsync(new MdsHostOptions { DataDir = Path.Combine(root, "mds"), Token = Token, MetricsPort = null, Port = port });
    }

    public string OstAddress(int index) => osts[index]?.Address ?? throw new InvalidOperationException($"OST{index} is stopped");

    public async Task StartOstAsync(int index)
    {
        osts[index] = await OstHost.StartAsync(new OstHostOptions
        {
            Index = index,
            DataDir = Path.Combine(root, $"ost{index}"),
            MdsAddress = Mds.Address,
            Pool = pools[index],
            Token = Token,
            MetricsPort = null,
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            CommitInterval = TimeSpan.FromMilliseconds(50),
        });
    }

    public async Task StopOstAsync(int index)
    {
        var host = osts[index];
        osts[index] = null;
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    public static MirrorClientOptions ClientOptions => new()
    {
        Ost = new OstTargetOptions { CallTimeout = TimeSpan.FromSeconds(5), SyncTimeout = TimeSpan.FromSeconds(10) },
        Mds = new MdsClientOptions { RetryDeadline = TimeSpan.FromSeconds(2) },
    };

    public Task<MirrorClient> ConnectAsync(MirrorClientOptions? options = null) =>
        MirrorClient.ConnectAsync(Mds.Address, Token, options ?? ClientOptions);

    /// <summary>Waits (with a deadline) until the MDS lists every running OST as up at its current address.</summary>
    public async Task WaitForOstsUpAsync()
    {
        using var mds = new MdsClient(RpcChannelInvoker.ForAddress(Mds.Address, Token));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var listed = await mds.ListOstsAsync();
            var ready = Enumerable.Range(0, osts.Length).All(i =>
                osts[i] is null || listed.Any(o => o.Index == i && o.Up && o.Address == osts[i]!.Address));
            if (ready)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"OSTs not registered with the MDS after 20 s: {string.Join(", ", listed.Select(o => $"{o.Index}@{o.Address} up={o.Up}"))}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < osts.Length; i++)
        {
            await StopOstAsync(i);
        }

        await Mds.DisposeAsync();
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // A file still being closed; the temp folder is cleaned by the OS eventually.
        }
    }
}
