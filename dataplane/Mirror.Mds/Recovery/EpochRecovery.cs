using Microsoft.Extensions.Logging;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Iwm;
using Mirror.Mds.Clients;
using Mirror.Mds.Epochs;
using Mirror.Mds.Layouts;
using Mirror.Mds.Locks;
using Mirror.Mds.Store;

namespace Mirror.Mds.Recovery;

/// <summary>A lock a reconnecting client says it held (mds.proto HeldLock).</summary>
public sealed record ReplayedLock(Fid Fid, LockBits Bits, LockMode Mode, byte[] Lvb);

/// <summary>
/// Recovery after an MDS restart (IWM §2.2.5, §2.4.3.2). The durable active-epoch set says which files
/// had open epochs; the durable clients table says whom to wait for. A recovery window opens: known clients
/// Connect with their client_uuid (same client_id back) and LockReplay their AW/LAYOUT locks with the
/// errors collected so far; new AW grants wait. Recovery ends at the window end, or once every known
/// IWM-aware client has reconnected and replayed. Then, in parallel per FID: any known client missing →
/// every epoch closes with its secondaries STALE (the missing one may have written anything); else files
/// with replayed AW locks continue, and the rest close with their persisted error mask. Nothing stays
/// INFLIGHT (invariant 5).
/// </summary>
public sealed class EpochRecovery
{
    private readonly MdsModel model;
    private readonly ClientRegistry clients;
    private readonly LockManager locks;
    private readonly EpochManager epochs;
    private readonly ILogger logger;
    private readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object gate = new();
    private readonly HashSet<string> awaited = new(StringComparer.Ordinal);
    private readonly HashSet<string> replayed = new(StringComparer.Ordinal);
    private long windowEndNs;
    private int ending;

    public EpochRecovery(MdsModel model, ClientRegistry clients, LockManager locks, EpochManager epochs, TimeSpan window, ILogger logger)
    {
        this.model = model;
        this.clients = clients;
        this.locks = locks;
        this.epochs = epochs;
        this.logger = logger;
        Window = window;
        epochs.RecoveryDone = done.Task;
        clients.Recovering = () => Volatile.Read(ref ending) == 0;
    }

    public TimeSpan Window { get; }

    public bool Recovering => Volatile.Read(ref ending) == 0;

    public Task Done => done.Task;

    /// <summary>Opens the window, or ends recovery at once when there is nothing to wait for.</summary>
    public async Task StartAsync()
    {
        var (epochCount, known) = model.Read(() => (model.ActiveEpochs.Count, model.Clients.Values.Where(c => c.IwmAware).Select(c => c.Uuid).ToList()));
        lock (gate)
        {
            awaited.UnionWith(known);
        }

        if (epochCount == 0 || known.Count == 0)
        {
            await EndAsync().ConfigureAwait(false);
            return;
        }

        windowEndNs = model.NowNs() + (long)(Window.TotalMilliseconds * 1_000_000);
        logger.RecoveryWindowOpen(epochCount, Window.TotalMilliseconds, known.Count);
    }

    /// <summary>Called by the housekeeping loop: ends recovery when the window has passed.</summary>
    public Task CheckWindowAsync() =>
        Recovering && windowEndNs != 0 && model.NowNs() >= windowEndNs ? EndAsync() : Task.CompletedTask;

    /// <summary>
    /// LockReplay. During recovery: AW locks of files in the durable set are re-granted and their LVB errors
    /// OR-ed in (durably); LAYOUT CR is re-granted. The client counts as recovered. Outside recovery AW
    /// replay is ESTALE (the epoch was closed without it) and LAYOUT CR is an ordinary enqueue.
    /// Returns one handle per lock (0 = not re-granted).
    /// </summary>
    public async Task<IReadOnlyList<ulong>> ReplayAsync(ClientSession client, IReadOnlyList<ReplayedLock> held, CancellationToken cancellationToken)
    {
        var handles = new List<ulong>();
        if (!Recovering)
        {
            foreach (var l in held)
            {
                if (l.Bits != LockBits.Layout)
                {
                    throw new MirrorException(Errno.ESTALE, $"the epoch of {l.Fid} was closed during recovery; the ACTIVE_WRITERS lock cannot be replayed");
                }

                handles.Add((await locks.EnqueueAsync(l.Fid, client.ClientId, LockBits.Layout, LockMode.CR, cancellationToken).ConfigureAwait(false)).Handle);
            }

            return handles;
        }

        foreach (var l in held)
        {
            if (l.Bits == LockBits.ActiveWriters && l.Mode == LockMode.CW && epochs.Find(l.Fid) is not null)
            {
                ushort mask;
                try
                {
                    mask = MirrorErrorReport.Decode(l.Lvb).MirrorMask;
                }
                catch (MirrorException e) when (e.Errno == Errno.EPROTO)
                {
                    mask = ushort.MaxValue;
                }

                if (mask != 0)
                {
                    await epochs.ReportErrorsAsync(l.Fid, mask, evicted: false).ConfigureAwait(false);
                }

                handles.Add(locks.Replay(l.Fid, client.ClientId, LockBits.ActiveWriters, LockMode.CW).Handle);
            }
            else if (l.Bits == LockBits.Layout && l.Mode == LockMode.CR && model.Read(() => model.Inodes.ContainsKey(l.Fid)))
            {
                handles.Add(locks.Replay(l.Fid, client.ClientId, LockBits.Layout, LockMode.CR).Handle);
            }
            else
            {
                handles.Add(0);
            }
        }

        bool all;
        lock (gate)
        {
            replayed.Add(client.Uuid);
            all = awaited.IsSubsetOf(replayed);
        }

        if (all)
        {
            await EndAsync().ConfigureAwait(false);
        }

        return handles;
    }

    /// <summary>Ends recovery once: evicts the clients that did not come back, then settles every epoch in parallel.</summary>
    public async Task EndAsync()
    {
        if (Interlocked.Exchange(ref ending, 1) == 1)
        {
            return;
        }

        try
        {
            List<string> missing;
            lock (gate)
            {
                missing = awaited.Except(replayed).ToList();
            }

            var live = clients.Live();
            foreach (var s in live.Where(s => s.IwmAware && missing.Contains(s.Uuid)))
            {
                await clients.EvictAsync(s.ClientId, "did not replay its locks in the recovery window").ConfigureAwait(false);
            }

            // Known clients that never reconnected have no session: their rows go; the epochs below pay for them.
            var forget = model.Read(() => model.Clients.Values.Where(c => !live.Any(s => s.Uuid == c.Uuid)).Select(c => c.Uuid).ToList());
            await clients.ForgetAsync(forget).ConfigureAwait(false);
            var anyMissing = missing.Count > 0;
            var fids = model.Read(() => model.ActiveEpochs.Keys.ToList());
            if (anyMissing)
            {
                logger.RecoveryClientsMissing(missing.Count, fids.Count);
            }

            // §2.2.5: each file's close is independent, so they run in parallel; new AW grants wait for all.
            await Task.WhenAll(fids.Select(fid => Task.Run(() => SettleAsync(fid, anyMissing)))).ConfigureAwait(false);
            done.TrySetResult();
        }
        catch (Exception e) when (e is MirrorException or OperationCanceledException)
        {
            logger.RecoveryFailed(e.Message);
            done.TrySetResult();
        }
    }

    private async Task SettleAsync(Fid fid, bool anyMissing)
    {
        var iwm = model.Read(() => model.Inodes.TryGetValue(fid, out var i) && i.Layout is not null && FlrTransitions.IsIwmFile(i.Layout.Layout));
        if (anyMissing || !iwm)
        {
            // §2.2.5: conservative; a file no longer IWM (or gone) is closed the same way (the row is dropped).
            await epochs.ReportErrorsAsync(fid, 0, evicted: true).ConfigureAwait(false);
            await epochs.ForceCloseAsync(fid, "recovered").ConfigureAwait(false);
            return;
        }

        if (locks.Granted(fid, LockBits.ActiveWriters).Count > 0)
        {
            // The epoch continues with its replayed writers; errors persisted before the crash still force
            // the close they were forcing (§2.2.3).
            if (epochs.Find(fid) is { ErrorMask: not 0 })
            {
                epochs.StartForcedClose(fid, "error reported before the restart");
            }

            return;
        }

        await epochs.CloseIfIdleAsync(fid, "recovered", byRecovery: true).ConfigureAwait(false);
    }
}
