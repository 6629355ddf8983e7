using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Mds.Clients;
using Mirror.Mds.Layouts;
using Mirror.Mds.Locks;
using Mirror.Mds.Namespace;
using Mirror.Mds.Store;

namespace Mirror.Mds.Epochs;

/// <summary>
/// Layout changes that meet IWM epochs (§2.2.7, §2.4.5, §2.4.6): the default path for structural changes
/// and for non-IWM writers is LAYOUT EX first (revokes every cached layout, stops new AW grants behind it),
/// then AW EX (forced close: writers flush, commit, cancel with their LVB), close, then the change. Flag-
/// only changes (write/resync intents with no epoch open, PREFER/NOSYNC) commit and then revoke LAYOUT CR
/// without waiting (STATE_ONLY_CHANGE, §2.2.7.3).
/// </summary>
public sealed class EpochLayoutOps(MdsModel model, LayoutOperations layouts, LockManager locks, EpochManager epochs)
{
    /// <summary>
    /// A layout intent. WRITE or RESYNC on a file with an open epoch folds it up first (§2.4.6, invariant 6),
    /// then the delayed-write FLR transition or the resync start applies as before.
    /// </summary>
    public async Task<InodeRecord> IntentAsync(Fid fid, LayoutIntent intent)
    {
        if (intent == LayoutIntent.None)
        {
            return layouts.GetLayout(fid);
        }

        if (await NeedsFoldUpAsync(fid).ConfigureAwait(false))
        {
            return await QuiescedAsync([fid], () => layouts.IntentAsync(fid, intent)).ConfigureAwait(false);
        }

        return Committed(fid, await layouts.IntentAsync(fid, intent).ConfigureAwait(false));
    }

    /// <summary>
    /// A client's LAYOUT CR enqueue (§2.2.7). With intent WRITE from a non-IWM client, or on a file that is
    /// not an IWM file, the delayed-write transition applies first (folding up an open epoch); an IWM-aware
    /// client writing an IWM file opens its epoch with AW instead, so its write intent changes nothing.
    /// </summary>
    public async Task<(MdsLock Lock, InodeRecord File)> LayoutLockAsync(ClientSession client, Fid fid, LockMode mode, LayoutIntent intent, CancellationToken cancellationToken)
    {
        if (mode != LockMode.CR)
        {
            throw new MirrorException(Errno.EINVAL, $"clients take LAYOUT in CR mode only, not {mode}");
        }

        var iwmWriter = intent == LayoutIntent.Write && client.IwmAware && model.Read(() => FlrTransitions.IsIwmFile(layouts.GetLayout(fid).Layout!.Layout));
        if (intent != LayoutIntent.None && !iwmWriter)
        {
            await IntentAsync(fid, intent).ConfigureAwait(false);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, epochs.Stopping);
        var granted = await locks.EnqueueAsync(fid, client.ClientId, LockBits.Layout, LockMode.CR, linked.Token).ConfigureAwait(false);
        return (granted, layouts.GetLayout(fid));
    }

    public Task<InodeRecord> ExtendAsync(Fid fid, IReadOnlyList<MirrorRequest>? requests, Fid victim, uint expectedGeneration) =>
        QuiescedAsync(victim.IsZero ? [fid] : [fid, victim], () => layouts.ExtendAsync(fid, requests, victim, expectedGeneration));

    public Task<InodeRecord> SplitAsync(Fid fid, ushort mirrorId, bool destroy, Fid splitParent, string? splitName) =>
        QuiescedAsync([fid], () => layouts.SplitAsync(fid, mirrorId, destroy, splitParent, splitName));

    public Task<InodeRecord> SwapAsync(Fid fid, Fid donor, ulong expectedDataVersion) =>
        QuiescedAsync(fid == donor ? [fid] : [fid, donor], () => layouts.SwapAsync(fid, donor, expectedDataVersion));

    /// <summary>
    /// SetMirrorFlags (IMMEDIATE/PREFER/NOSYNC; INFLIGHT/STALE → EINVAL). Changing IMMEDIATE changes which
    /// mirrors an epoch covers, so it closes an open epoch first; the rest is a flag-only change.
    /// </summary>
    public async Task<InodeRecord> SetMirrorFlagsAsync(Fid fid, ushort mirrorId, MirrorFlags set, MirrorFlags clear)
    {
        FlrTransitions.SetMirrorFlags(fid, model.Read(() => layouts.GetLayout(fid).Layout!.Layout), mirrorId, set, clear);
        if (((set | clear) & MirrorFlags.Immediate) != 0)
        {
            return await QuiescedAsync([fid], () => layouts.SetMirrorFlagsAsync(fid, mirrorId, set, clear)).ConfigureAwait(false);
        }

        var before = layouts.GetLayout(fid).Layout!.Generation;
        return Committed(fid, await layouts.SetMirrorFlagsAsync(fid, mirrorId, set, clear).ConfigureAwait(false), before);
    }

    /// <summary>
    /// The default path (§2.2.7 administrative operations, §2.4.6 steps 2–3): LAYOUT EX then AW EX on every
    /// file (FID order, so two such operations cannot deadlock), close open epochs, apply, release.
    /// </summary>
    public async Task<T> QuiescedAsync<T>(IReadOnlyList<Fid> fids, Func<Task<T>> change)
    {
        await epochs.RecoveryDone.WaitAsync(epochs.Stopping).ConfigureAwait(false);
        var ordered = fids.Distinct().Order().ToList();
        var held = new List<MdsLock>();
        try
        {
            foreach (var bit in new[] { LockBits.Layout, LockBits.ActiveWriters })
            {
                foreach (var fid in ordered)
                {
                    held.Add(await locks.EnqueueAsync(fid, MdsLock.MdsClient, bit, LockMode.EX, epochs.Stopping).ConfigureAwait(false));
                }
            }

            foreach (var fid in ordered)
            {
                await epochs.CloseHoldingExAsync(fid, "forced").ConfigureAwait(false);
            }

            return await change().ConfigureAwait(false);
        }
        finally
        {
            for (var i = held.Count - 1; i >= 0; i--)
            {
                locks.Release(held[i].Handle);
            }
        }
    }

    private async Task<bool> NeedsFoldUpAsync(Fid fid)
    {
        if (!epochs.RecoveryDone.IsCompleted && model.Read(() => model.ActiveEpochs.ContainsKey(fid)))
        {
            await epochs.RecoveryDone.WaitAsync(epochs.Stopping).ConfigureAwait(false);
        }

        return epochs.Find(fid) is not null;
    }

    /// <summary>After a flag-only change committed: clients holding LAYOUT CR refetch (§2.2.7.3).</summary>
    private InodeRecord Committed(Fid fid, InodeRecord file, uint? before = null)
    {
        if (file.Layout is { } stored && (before is null || stored.Generation != before))
        {
            if (stored.Layout.StateOnlyChange)
            {
                epochs.Metrics.StateOnlyChange();
            }

            locks.Revoke(fid, LockBits.Layout);
        }

        return file;
    }
}
