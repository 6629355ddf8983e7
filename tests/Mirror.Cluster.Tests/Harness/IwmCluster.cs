using System.Globalization;
using Mirror.Client.Files;
using Mirror.Client.Locks;
using Mirror.Client.Targets;
using Mirror.Core.Layouts;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;

namespace Mirror.Cluster.Tests.Harness;

/// <summary>The `mirrord mds` IWM options (IWM §2.2.5, §2.2.6, §2.4.3): short values keep lease and recovery tests quick.</summary>
public sealed record IwmMdsOptions(int ClientLeaseMs = 2000, int LockCallbackTimeoutMs = 1500, int RecoveryWindowMs = 2000);

/// <summary>
/// A <see cref="LocalCluster"/> whose MDS runs with the IWM options, passed by `mirrorctl local up`
/// (recorded in cluster.json, so `local start mds-0` restarts the MDS with them). KillMdsAsync is kill -9 of
/// the recorded pid; StartMdsAsync is `local start mds-0`.
/// </summary>
public sealed class IwmCluster : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private IwmCluster(LocalCluster cluster) => Cluster = cluster;

    public LocalCluster Cluster { get; }

    public string MdsAddress => Cluster.MdsAddress;

    public string Token => Cluster.Token;

    public int MdsPid => Cluster.Status["mds-0"].Pid;

    public static async Task<IwmCluster> StartAsync(IwmMdsOptions? options = null, int osts = 4) =>
        new(await LocalCluster.StartAsync(osts, UpOptions(options ?? new IwmMdsOptions())));

    /// <summary>The `local up` options that carry <paramref name="options"/> to `mirrord mds`.</summary>
    public static string[] UpOptions(IwmMdsOptions options) =>
    [
        "--client-lease-ms", Int(options.ClientLeaseMs),
        "--lock-callback-timeout-ms", Int(options.LockCallbackTimeoutMs),
        "--recovery-window-ms", Int(options.RecoveryWindowMs),
    ];
    /// <summary>Client options for writers in the test process: short idle release, short call timeouts.</summary>
    public static MirrorClientOptions ClientOptions(TimeSpan? idleRelease = null, bool iwmAware = true) => new()
    {
        IwmAware = iwmAware,
        Iwm = new IwmOptions { IdleRelease = idleRelease ?? TimeSpan.FromMilliseconds(300), SecondaryTimeout = TimeSpan.FromSeconds(2), EpochCloseWait = TimeSpan.FromSeconds(10) },
        Ost = new OstTargetOptions { CallTimeout = TimeSpan.FromSeconds(5), SyncTimeout = TimeSpan.FromSeconds(10) },
        Mds = new Mirror.Client.Metadata.MdsClientOptions { RetryDeadline = TimeSpan.FromSeconds(5) },
    };

    public Task<MirrorClient> ConnectAsync(MirrorClientOptions? options = null) =>
        MirrorClient.ConnectAsync(MdsAddress, Token, options ?? ClientOptions());

    public string OstAddress(int index) => Cluster.Status[$"ost-{index.ToString(CultureInfo.InvariantCulture)}"].Address;

    /// <summary>Arms (or with "off" disarms) a fault point in OST <paramref name="index"/>'s process through its SetFault RPC.</summary>
    public async Task SetOstFaultAsync(int index, string name, string action)
    {
        using var channel = RpcChannel.ForAddress(OstAddress(index), Token);
        await channel.UnaryAsync<SetFaultRequest, SetFaultReply>(OstMethods.SetFault, new SetFaultRequest { Name = name, Action = action }, new CallOptions(Timeout: TimeSpan.FromSeconds(10)));
    }

    /// <summary>The MDS's open epochs (ListEpochs over a fresh channel, so it works across MDS restarts).</summary>
    public async Task<ListEpochsReply> ListEpochsAsync()
    {
        using var channel = RpcChannel.ForAddress(MdsAddress, Token);
        return await channel.UnaryAsync<Empty, ListEpochsReply>(MdsMethods.ListEpochs, new Empty(), new CallOptions(Timeout: TimeSpan.FromSeconds(10)));
    }

    /// <summary>Waits until the MDS has no open epoch and <paramref name="path"/> has no INFLIGHT mirror; returns its layout.</summary>
    public async Task<FileLayout> WaitForCloseAsync(MirrorClient client, string path, TimeSpan? timeout = null)
    {
        FileLayout? layout = null;
        await Wait.UntilAsync(
            async () =>
            {
                layout = (await client.GetLayoutAsync(path)).Layout;
                return !layout.Mirrors.Any(m => m.IsInflight) && (await ListEpochsAsync()).Epochs.Count == 0;
            },
            timeout ?? TimeSpan.FromSeconds(30),
            $"the epoch of {path} to close (flags now {(layout is null ? "?" : Describe(layout))})");
        return layout!;
    }

    public static string Describe(FileLayout layout) =>
        $"gen {layout.Generation} {layout.State}: " + string.Join(", ", layout.Mirrors.Select(m => $"{m.Id}:{MirrorFlagNames.Format(m.Flags)}"));

    /// <summary>kill -9 of the MDS (by its recorded pid), then waits until it is gone.</summary>
    public Task KillMdsAsync() => Cluster.KillAsync("mds-0");

    /// <summary>`local start mds-0` (same data, address and recorded options), then waits until every running OST is up in it.</summary>
    public async Task StartMdsAsync()
    {
        await Cluster.StartAsync("mds-0");
        await WaitForOstsUpAsync();
    }

    /// <summary>Waits until the MDS lists every OST that runs as up.</summary>
    public async Task WaitForOstsUpAsync()
    {
        var (_, status) = await Cluster.RefreshAsync();
        var running = status.Processes.Where(p => p.Role == "ost" && p.Running).Select(p => p.Index).ToHashSet();
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    using var mdsClient = new Mirror.Client.Metadata.MdsClient(Mirror.Client.Metadata.RpcChannelInvoker.ForAddress(MdsAddress, Token));
                    var listed = await mdsClient.ListOstsAsync();
                    return running.All(i => listed.Any(o => o.Index == i && o.Up));
                }
                catch (Exception e) when (e is Mirror.Core.Errors.MirrorException or RpcException or HttpRequestException or IOException)
                {
                    return false;
                }
            },
            ReadyTimeout,
            "every running OST to be registered and up at the MDS");
    }

    public string MdsLog()
    {
        var log = Path.Combine(Cluster.Dir, "logs", "mds-0.log");
        return File.Exists(log) ? string.Join('\n', File.ReadAllLines(log).TakeLast(30)) : "(no mds log)";
    }

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
