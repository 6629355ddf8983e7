using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Faults;
using Mirror.Core.Iwm;
using Mirror.Mds.Changelog;
using Mirror.Mds.Clients;
using Mirror.Mds.Layouts;
using Mirror.Mds.Locks;
using Mirror.Mds.Namespace;
using Mirror.Mds.Store;

namespace Mirror.Mds.Epochs;

/// <summary>An AW CW grant: the lock, the epoch it belongs to, and the file as of the grant (IWM §2.2.5).</summary>
public sealed record AwGrant(MdsLock Lock, ulong EpochId, InodeRecord File);

/// <summary>
/// IWM write epochs (§2.2.4, §2.2.5, §2.4): open on the first AW CW grant, error reports from cancel LVBs
/// (persisted before the reply), forced close with AW EX, close when no AW lock remains, writers evicted.
/// The durable active-epoch set (<see cref="MdsModel.ActiveEpochs"/>) changes in the same transaction as
/// the layout. Lock order: AW lock (held or being taken) → the per-FID epoch gate → model Sync.
/// </summary>
public sealed partial class EpochManager
{
    /// <summary>"crash" = the process dies right after the durable epoch open (or close).</summary>
    public const string OpenFault = "mds.epoch.open";

    public const string CloseFault = "mds.epoch.close";

    private readonly MdsModel model;
    private readonly NamespaceTree tree;
    private readonly LockManager locks;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<Fid, SemaphoreSlim> gates = new();
    private readonly ConcurrentDictionary<Fid, Task> forcedCloses = new();
    private readonly CancellationTokenSource stopping = new();

    public EpochManager(MdsModel model, NamespaceTree tree, LockManager locks, IwmMetrics metrics, ILogger logger, EpochFence? fence = null)
    {
        Fence = fence;
        this.model = model;
        this.tree = tree;
        this.locks = locks;
        this.logger = logger;
        Metrics = metrics;
    }

    public IwmMetrics Metrics { get; }

    /// <summary>Fences an evicted writer's late OST writes before the close (§2.2.6); null = no fencing (tests without OSTs).</summary>
    public EpochFence? Fence { get; }

    /// <summary>Completes when MDS recovery ended (§2.2.5); new AW grants and epoch changes wait for it.</summary>
    public Task RecoveryDone { get; set; } = Task.CompletedTask;

    /// <summary>Cancelled at shutdown: waits for locks end.</summary>
    public CancellationToken Stopping => stopping.Token;

    public int OpenCount => model.Read(() => model.ActiveEpochs.Count);

    public EpochRow? Find(Fid fid) => model.Read(() => model.ActiveEpochs.GetValueOrDefault(fid));

    /// <summary>
    /// AW CW for a writer (§2.2.1, §2.2.5): waits for recovery and for any EX holder (an epoch close), then
    /// opens the epoch if none is open: WRITE_PENDING, secondaries INFLIGHT, the FID in the durable set, in
    /// one transaction. The reply layout is the one after the open.
    /// </summary>
    public async Task<AwGrant> AcquireAsync(ClientSession client, Fid fid, CancellationToken cancellationToken)
    {
        if (!client.IwmAware)
        {
            throw new MirrorException(Errno.EINVAL, $"client {client.ClientId} did not connect as IWM-aware; it cannot take the ACTIVE_WRITERS lock of {fid}");
        }

        RequireIwmFile(fid);
        await RecoveryDone.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping.Token);
        var aw = await locks.EnqueueAsync(fid, client.ClientId, LockBits.ActiveWriters, LockMode.CW, linked.Token).ConfigureAwait(false);
        try
        {
            var gate = Gate(fid);
            await gate.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                var (row, file, opened) = await model.MutateAsync(m =>
                {
                    var inode = tree.RegularFile(fid);
                    if (model.ActiveEpochs.TryGetValue(fid, out var open))
                    {
                        return (open, inode.Snapshot(), false);
                    }

                    // IWM §2.2.5 / §2.4.1: the open and the FID's entry in the durable set are one transaction.
                    var outcome = FlrTransitions.OpenEpoch(fid, inode.Layout!.Layout);
                    inode.Layout = inode.Layout with { Layout = outcome.Changed! };
                    var epoch = new EpochRow(fid, model.LastEpochId + 1, 0, false, m.NowNs);
                    m.SaveEpoch(epoch);
                    m.Save(inode);
                    m.Log(ChangelogKind.Layout, fid, inode.Parent, inode.Name,
                        $"epoch {epoch.EpochId} opened gen={outcome.Changed!.Generation}", outcome.MirrorIds);
                    return (epoch, inode.Snapshot(), true);
                }).ConfigureAwait(false);
                if (opened)
                {
                    await FaultPoints.HitAsync(OpenFault).ConfigureAwait(false);
                    Metrics.StateOnlyChange();
                    logger.EpochOpened(row.EpochId, fid, client.ClientId);
                    locks.Revoke(fid, LockBits.Layout);
                }

                return new AwGrant(aw, row.EpochId, file);
            }
            finally
            {
                gate.Release();
            }
        }
        catch
        {
            locks.Release(aw.Handle);
            throw;
        }
    }

    /// <summary>
    /// A writer cancels its AW lock with its LVB (§2.2.3): a non-empty report is OR-ed into the epoch and made
    /// durable BEFORE the reply, then the close is forced (AW EX, §2.2.4); an empty one closes the epoch
    /// when it was the last AW lock. A malformed LVB counts as an error on every mirror and fails with EPROTO.
    /// </summary>
    public async Task CancelAwAsync(MdsLock aw, ReadOnlyMemory<byte> lvb)
    {
        MirrorException? malformed = null;
        MirrorErrorReport? report = null;
        ushort mask;
        try
        {
            report = MirrorErrorReport.Decode(lvb.Span);
            mask = report.MirrorMask;
        }
        catch (MirrorException e) when (e.Errno == Errno.EPROTO)
        {
            malformed = e;
            mask = ushort.MaxValue;
        }

        if (mask != 0)
        {
            await ReportErrorsAsync(aw.Fid, mask, evicted: false, report).ConfigureAwait(false);
        }

        locks.Release(aw.Handle);
        if (mask != 0)
        {
            StartForcedClose(aw.Fid, "error report");
        }
        else
        {
            await CloseIfIdleAsync(aw.Fid).ConfigureAwait(false);
        }

        if (malformed is not null)
        {
            throw new MirrorException(Errno.EPROTO, $"lock {aw.Handle} on {aw.Fid}: {malformed.Message}; every mirror counted as errored");
        }
    }

    /// <summary>
    /// ORs errors (or the evicted flag) into the durable row of an open epoch; the per-stripe part of
    /// <paramref name="report"/> (IWM §3.1) is merged into the row's stripe report.
    /// </summary>
    public Task ReportErrorsAsync(Fid fid, ushort mask, bool evicted, MirrorErrorReport? report = null) => model.MutateAsync(m =>
    {
        if (model.ActiveEpochs.TryGetValue(fid, out var row))
        {
            var stripes = row.StripeReport;
            if (report is { IsEmpty: false })
            {
                var merged = row.StripeReport is { Length: > 0 } known ? MirrorErrorReport.Decode(known) : new MirrorErrorReport();
                merged.Merge(report);
                stripes = merged.Encode();
            }

            var next = row with { ErrorMask = (ushort)(row.ErrorMask | mask), Evicted = row.Evicted || evicted, StripeReport = stripes };
            if (next.ErrorMask != row.ErrorMask || next.Evicted != row.Evicted || !ReferenceEquals(stripes, row.StripeReport))
            {
                m.SaveEpoch(next);
            }
        }

        return true;
    });

    /// <summary>
    /// Eviction of a writer, before its locks are dropped (§2.2.4, §2.4.3): its epochs will stale every
    /// secondary. Persisted first, so a close granted by the drop already sees it.
    /// </summary>
    public async Task MarkEvictedAsync(IEnumerable<MdsLock> held)
    {
        foreach (var fid in held.Where(l => l.Bits.HasFlag(LockBits.ActiveWriters)).Select(l => l.Fid).Distinct())
        {
            await ReportErrorsAsync(fid, 0, evicted: true).ConfigureAwait(false);
        }
    }

    /// <summary>After an eviction dropped AW locks: closes the epochs no writer holds any more.</summary>
    public async Task AfterEvictionAsync(IEnumerable<MdsLock> dropped)
    {
        foreach (var fid in dropped.Where(l => l.Bits.HasFlag(LockBits.ActiveWriters)).Select(l => l.Fid).Distinct())
        {
            await ReportErrorsAsync(fid, 0, evicted: true).ConfigureAwait(false);
            await CloseIfIdleAsync(fid).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Closes the epoch if no AW lock remains (the normal end, §2.2.4). A new writer in between keeps it open.
    /// During recovery only the recovery itself closes epochs (a client still missing changes the outcome).
    /// </summary>
    public async Task CloseIfIdleAsync(Fid fid, string outcome = "", bool byRecovery = false)
    {
        if (Find(fid) is null || (!byRecovery && !RecoveryDone.IsCompleted))
        {
            return;
        }

        var ex = locks.TryLock(fid, MdsLock.MdsClient, LockBits.ActiveWriters, LockMode.EX);
        if (ex is null)
        {
            return;
        }

        try
        {
            await CloseHoldingExAsync(fid, outcome).ConfigureAwait(false);
        }
        finally
        {
            locks.Release(ex.Handle);
        }
    }

    /// <summary>Forced close (§2.2.4): AW EX (callbacks to every writer: flush, commit, cancel with LVB), then close.</summary>
    public async Task ForceCloseAsync(Fid fid, string outcome)
    {
        var sw = Stopwatch.StartNew();
        var ex = await locks.EnqueueAsync(fid, MdsLock.MdsClient, LockBits.ActiveWriters, LockMode.EX, stopping.Token).ConfigureAwait(false);
        try
        {
            await CloseHoldingExAsync(fid, outcome, sw).ConfigureAwait(false);
        }
        finally
        {
            locks.Release(ex.Handle);
        }
    }

    /// <summary>Starts a forced close in the background unless one is already running for the file.</summary>
    public void StartForcedClose(Fid fid, string why)
    {
        forcedCloses.GetOrAdd(fid, f => Task.Run(async () =>
        {
            try
            {
                await RecoveryDone.WaitAsync(stopping.Token).ConfigureAwait(false);
                await ForceCloseAsync(f, "").ConfigureAwait(false);
            }
            catch (Exception e) when (e is MirrorException or OperationCanceledException)
            {
                logger.ForcedCloseUnfinished(f, why, e.Message);
            }
            finally
            {
                forcedCloses.TryRemove(f, out _);
            }
        }));
    }

    /// <summary>Forced closes still running (tests and shutdown wait on them).</summary>
    public Task PendingForcedCloses => Task.WhenAll(forcedCloses.Values);

    /// <summary>
    /// The close itself, with AW EX held by the caller (§2.2.4): error mask → STALE, evicted writer →
    /// secondaries STALE, INFLIGHT cleared, RDONLY or WRITE_PENDING, FID out of the durable set, changelog —
    /// one transaction. <paramref name="outcome"/> overrides the metric label ("forced", "recovered").
    /// </summary>
    internal async Task CloseHoldingExAsync(Fid fid, string outcome, Stopwatch? started = null)
    {
        var sw = started ?? Stopwatch.StartNew();

        // §2.2.6: AW EX is held, so the evicted flag is final; fence before the close can be final.
        var unfenced = Fence is not null && Find(fid) is { Evicted: true }
            ? await Fence.FenceAsync(fid, stopping.Token).ConfigureAwait(false)
            : (ushort)0;
        var gate = Gate(fid);
        await gate.WaitAsync(stopping.Token).ConfigureAwait(false);
        try
        {
            var result = await model.MutateAsync<(EpochRow Row, EpochCloseOutcome Kind, FlrOutcome? Flr)?>(m =>
            {
                if (!model.ActiveEpochs.TryGetValue(fid, out var row))
                {
                    return null;
                }

                m.DeleteEpoch(fid);
                if (!model.Inodes.TryGetValue(fid, out var inode) || inode.Layout is null)
                {
                    return (row, EpochCloseOutcome.Clean, null);
                }

                var (flr, kind) = FlrTransitions.CloseEpoch(inode.Layout.Layout, (ushort)(row.ErrorMask | unfenced), row.Evicted);
                inode.Layout = inode.Layout with { Layout = flr.Changed! };
                m.Save(inode);
                if (flr.MirrorIds.Count > 0)
                {
                    m.Log(ChangelogKind.MirrorStale, fid, inode.Parent, inode.Name,
                        $"epoch {row.EpochId} closed {kind.ToString().ToLowerInvariant()} gen={flr.Changed!.Generation}{FailedStripes.Describe(inode.Layout.Layout, row.StripeReport)}", flr.MirrorIds);
                }
                else
                {
                    m.Log(ChangelogKind.Layout, fid, inode.Parent, inode.Name, $"epoch {row.EpochId} closed clean gen={flr.Changed!.Generation}");
                }

                return (row, kind, flr);
            }).ConfigureAwait(false);
            if (result is not { } closed)
            {
                return;
            }

            await FaultPoints.HitAsync(CloseFault).ConfigureAwait(false);
            var label = closed.Item2 switch
            {
                EpochCloseOutcome.Evicted => "evicted",
                EpochCloseOutcome.Error => "error",
                _ => string.IsNullOrEmpty(outcome) ? "clean" : outcome,
            };
            Metrics.EpochClosed(label, sw.Elapsed.TotalSeconds);
            if (closed.Item3 is not null)
            {
                Metrics.StateOnlyChange();
            }

            logger.EpochClosed(closed.Item1.EpochId, fid, label,
                string.Join(',', closed.Item3?.MirrorIds ?? []));
            locks.Revoke(fid, LockBits.Layout);
        }
        finally
        {
            gate.Release();
        }
    }

    public void Stop()
    {
        stopping.Cancel();
        locks.FailAll(new MirrorException(Errno.ECANCELED, "the MDS is stopping"));
    }

    private void RequireIwmFile(Fid fid) => model.Read(() =>
    {
        var layout = tree.RegularFile(fid).Layout!.Layout;
        return FlrTransitions.IsIwmFile(layout)
            ? true
            : throw new MirrorException(Errno.EINVAL, $"{fid} is not an IWM file (it needs at least 2 IMMEDIATE mirrors); write it with a layout intent");
    });

    private SemaphoreSlim Gate(Fid fid) => gates.GetOrAdd(fid, _ => new SemaphoreSlim(1, 1));
}
