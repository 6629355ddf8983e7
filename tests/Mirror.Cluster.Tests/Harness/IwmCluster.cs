using System.Diagnostics;
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
/// A <see cref="LocalCluster"/> whose MDS runs with the IWM options. `mirrorctl local up` has no way to pass
/// `mirrord mds` options (and mirrord reads none from the environment), so after `local up` the MDS it
/// started is killed and started again here, as a real mirrord process of this test, on the same data
/// folder, token file and address, with <see cref="IwmMdsOptions"/>. The OSTs keep heartbeating to that
/// address. KillMdsAsync / RestartMdsAsync work on this process by its pid.
/// </summary>
public sealed class IwmCluster : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly IwmMdsOptions mdsOptions;
    private Process? mds;

    private IwmCluster(LocalCluster cluster, IwmMdsOptions mdsOptions)
    {
        Cluster = cluster;
        this.mdsOptions = mdsOptions;
    }

    public LocalCluster Cluster { get; }

    public string MdsAddress => Cluster.MdsAddress;

    public string Token => Cluster.Token;

    public int MdsPid => mds?.Id ?? 0;

    public static async Task<IwmCluster> StartAsync(IwmMdsOptions? options = null, int osts = 4)
    {
        var cluster = await LocalCluster.StartAsync(osts);
        var iwm = new IwmCluster(cluster, options ?? new IwmMdsOptions());
        try
        {
            await cluster.KillAsync("mds-0");
            await iwm.StartMdsAsync();
            return iwm;
        }
        catch
        {
            await iwm.DisposeAsync();
            throw;
        }
    }

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

    /// <summary>kill -9 of the MDS this harness runs, then waits until the pid is gone.</summary>
    public async Task KillMdsAsync()
    {
        var victim = mds ?? throw new InvalidOperationException("the MDS is not running");
        mds = null;
        victim.Kill();
        await victim.WaitForExitAsync();
        victim.Dispose();
    }

    /// <summary>Starts `mirrord mds` with the IWM options on the recorded address and waits until every OST is registered and up.</summary>
    public async Task StartMdsAsync()
    {
        var record = Cluster.Status["mds-0"];
        var runDir = Path.Combine(Cluster.Dir, "iwm-run");
        Directory.CreateDirectory(runDir);
        var ready = Path.Combine(runDir, "mds.ready");
        File.Delete(ready);
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        string[] args =
        [
            "-c", "log=$1; shift; exec \"$@\" </dev/null >>\"$log\" 2>&1", "sh", Path.Combine(runDir, "mds.log"),
            CtlRunner.DotnetHost, Path.Combine(CtlRunner.BinaryDir, "mirrord.dll"), "mds",
            "--data", record.Data, "--token-file", Cluster.TokenFile, "--listen", record.Address, "--metrics-port", "0", "--ready-file", ready,
            "--client-lease-ms", Int(mdsOptions.ClientLeaseMs), "--lock-callback-timeout-ms", Int(mdsOptions.LockCallbackTimeoutMs),
            "--recovery-window-ms", Int(mdsOptions.RecoveryWindowMs),
        ];
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove(Mirror.Core.Faults.FaultPoints.EnvironmentVariable);
        mds = Process.Start(start) ?? throw new InvalidOperationException("could not start mirrord mds");
        var process = mds;
        await Wait.UntilAsync(() => File.Exists(ready) || process.HasExited, ReadyTimeout, "mirrord mds to write its ready file");
        if (process.HasExited)
        {
            throw new InvalidOperationException($"mirrord mds exited with {process.ExitCode}: {MdsLog()}");
        }

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
        var log = Path.Combine(Cluster.Dir, "iwm-run", "mds.log");
        return File.Exists(log) ? string.Join('\n', File.ReadAllLines(log).TakeLast(30)) : "(no mds log)";
    }

    public async ValueTask DisposeAsync()
    {
        if (mds is not null)
        {
            await KillMdsAsync();
        }

        await Cluster.DisposeAsync();
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
