using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Mds.Changelog;
using Mirror.Mds.Clients;
using Mirror.Mds.Epochs;
using Mirror.Mds.Layouts;
using Mirror.Mds.Locks;
using Mirror.Mds.Namespace;
using Mirror.Mds.Recovery;
using Mirror.Mds.Store;
using Mirror.Mds.Volumes;

namespace Mirror.Mds.Host;

/// <summary>How the MDS core is opened (no network: tests use it directly).</summary>
public sealed class MdsCoreOptions
{
    public required string DataDir { get; init; }

    /// <summary>An OST not heard from for this long is down for placement (3 heartbeats of 2 s).</summary>
    public TimeSpan OstDownAfter { get; init; } = TimeSpan.FromSeconds(6);

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>How orphan objects are destroyed; null = OstMethods.Destroy over RpcChannel with <see cref="Token"/>.</summary>
    public DestroyObject? DestroyObject { get; init; }

    public string? Token { get; init; }

    /// <summary>How an evicted writer's objects are fenced on the OSTs (IWM §2.2.6); null = OstMethods.Fence over RpcChannel with <see cref="Token"/>.</summary>
    public FenceObjects? FenceObjects { get; init; }

    /// <summary>How long the fence retries an unreachable OST before its mirrors close STALE.</summary>
    public TimeSpan FenceBudget { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan OrphanRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A client not heard from (Ping or a lock call) for this long is evicted (IWM §2.4.3.1).</summary>
    public TimeSpan ClientLease { get; init; } = TimeSpan.FromMilliseconds(30_000);

    /// <summary>A lock holder that does not cancel this long after its blocking callback is evicted (IWM §2.2.6).</summary>
    public TimeSpan LockCallbackTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a restarted MDS waits for known clients to reconnect and replay (IWM §2.2.5).</summary>
    public TimeSpan RecoveryWindow { get; init; } = TimeSpan.FromMilliseconds(15_000);

    /// <summary>How often leases, callback timeouts, the recovery window and idle epochs are checked.</summary>
    public TimeSpan HousekeepingInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Called after each group commit with (mutations in the batch, seconds); metrics hook.</summary>
    public Action<int, double>? OnCommitBatch { get; init; }
}

/// <summary>
/// The MDS without its network: the store, the model loaded from it, and the layers over it, wired in
/// ARCHITECTURE §2 order (Namespace → Layouts → Changelog, over Store; Recovery at start).
/// </summary>
public sealed class MdsCore : IAsyncDisposable
{
    private readonly DataDirLock dirLock;
    private readonly OstObjectDestroyer? ostDestroyer;
    private readonly OstFencer? ostFencer;
    private readonly MdsCoreOptions options;
    private readonly CancellationTokenSource stop = new();
    private Task housekeeping = Task.CompletedTask;

    private MdsCore(DataDirLock dirLock, MdsModel model, MdsCoreOptions options)
    {
        this.dirLock = dirLock;
        this.options = options;
        Model = model;
        Registry = new OstRegistry(model, options.OstDownAfter);
        Tree = new NamespaceTree(model);
        Layouts = new LayoutOperations(model, Tree, new LayoutBuilder(model, Registry));
        Namespace = new NamespaceOperations(model, Tree, Layouts);
        Changelog = new ChangelogOperations(model);
        Volumes = new VolumeOperations(model, Tree);
        ostDestroyer = options.DestroyObject is null ? new OstObjectDestroyer(options.Token) : null;
        Destroyer = new OrphanDestroyer(model, Registry, options.DestroyObject ?? ostDestroyer!.DestroyAsync,
            options.LoggerFactory.CreateLogger<OrphanDestroyer>(), options.OrphanRetryDelay);

        // IWM (§2.2): locks, clients, epochs, recovery. Eviction marks the epochs before the locks drop.
        Locks = new LockManager(model.NowNs);
        Clients = new ClientRegistry(model, Locks, options.ClientLease, options.LoggerFactory.CreateLogger<ClientRegistry>());
        IwmMetrics = new IwmMetrics(() => model.Read(() => (long)model.ActiveEpochs.Count));
        ostFencer = options.FenceObjects is null ? new OstFencer(options.Token) : null;
        var fence = new EpochFence(model, options.FenceObjects ?? ostFencer!.FenceAsync, options.FenceBudget, options.LoggerFactory.CreateLogger<EpochFence>());
        Epochs = new EpochManager(model, Tree, Locks, IwmMetrics, options.LoggerFactory.CreateLogger<EpochManager>(), fence);
        EpochLayouts = new EpochLayoutOps(model, Layouts, Locks, Epochs);
        Recovery = new EpochRecovery(model, Clients, Locks, Epochs, options.RecoveryWindow, options.LoggerFactory.CreateLogger<EpochRecovery>());
        Clients.Evicting = (_, held) => Epochs.MarkEvictedAsync(held);
        Clients.Evicted = (_, dropped) => Epochs.AfterEvictionAsync(dropped);
        Clients.EvictionCounted += _ => IwmMetrics.Eviction();
        Clients.CallbackSent += IwmMetrics.Callback;
    }

    public MdsModel Model { get; }

    public OstRegistry Registry { get; }

    public NamespaceTree Tree { get; }

    public NamespaceOperations Namespace { get; }

    public LayoutOperations Layouts { get; }

    public ChangelogOperations Changelog { get; }

    public VolumeOperations Volumes { get; }

    public OrphanDestroyer Destroyer { get; }

    public LockManager Locks { get; }

    public ClientRegistry Clients { get; }

    public EpochManager Epochs { get; }

    /// <summary>Layout changes routed through the epochs (fold-up, forced close; IWM §2.4.6).</summary>
    public EpochLayoutOps EpochLayouts { get; }

    public EpochRecovery Recovery { get; }

    public IwmMetrics IwmMetrics { get; }

    /// <summary>New at every start: clients detect an MDS restart by it.</summary>
    public string BootId { get; } = Guid.NewGuid().ToString("N");

    public static async Task<MdsCore> OpenAsync(MdsCoreOptions options)
    {
        Directory.CreateDirectory(options.DataDir);
        var dirLock = DataDirLock.Acquire(options.DataDir);
        try
        {
            var database = new MdsDatabase(Path.Combine(options.DataDir, "mds.sqlite"));
            var model = await ModelLoader.LoadAsync(database, options.Clock, options.LoggerFactory.CreateLogger("Mirror.Mds.Store"), options.OnCommitBatch)
                .ConfigureAwait(false);
            var core = new MdsCore(dirLock, model, options);
            await core.Recovery.StartAsync().ConfigureAwait(false);
            core.housekeeping = Task.Run(core.HousekeepAsync);
            return core;
        }
        catch
        {
            dirLock.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        Epochs.Stop();
        try
        {
            await housekeeping.ConfigureAwait(false);
            await Epochs.PendingForcedCloses.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        IwmMetrics.Dispose();
        await Destroyer.DisposeAsync().ConfigureAwait(false);
        ostDestroyer?.Dispose();
        ostFencer?.Dispose();
        Model.Dispose();
        dirLock.Dispose();
    }

    /// <summary>
    /// One pass of IWM housekeeping: evict expired leases (§2.4.3.1) and holders that ignored a callback past
    /// the timeout (§2.2.6), end the recovery window (§2.2.5), close epochs no writer holds any more.
    /// </summary>
    public async Task HousekeepOnceAsync()
    {
        await Clients.SweepLeasesAsync().ConfigureAwait(false);
        foreach (var expired in Locks.ExpiredCallbacks(options.LockCallbackTimeout).Select(l => l.ClientId).Distinct())
        {
            IwmMetrics.CallbackTimeout();
            await Clients.EvictAsync(expired, $"did not cancel a lock within {options.LockCallbackTimeout.TotalMilliseconds} ms of its callback").ConfigureAwait(false);
        }

        await Recovery.CheckWindowAsync().ConfigureAwait(false);
        if (!Recovery.Recovering && Epochs.RecoveryDone.IsCompleted)
        {
            foreach (var fid in Model.Read(() => Model.ActiveEpochs.Keys.ToList()))
            {
                if (Locks.Granted(fid, LockBits.ActiveWriters).Count == 0)
                {
                    await Epochs.CloseIfIdleAsync(fid).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task HousekeepAsync()
    {
        using var timer = new PeriodicTimer(options.HousekeepingInterval);
        while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
        {
            try
            {
                await HousekeepOnceAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                Model.Logger.HousekeepingFailed(e.Message);
            }
        }
    }
}
