using Mirror.Client.Mirrors;
using Mirror.Client.Targets;
using Mirror.Core.Errors;
using Mirror.Core.Faults;

namespace Mirror.Client.Locks;

/// <summary>AW lock release (IWM §2.2.6): voluntary (idle), on a callback, or after an error.</summary>
public sealed partial class ClientLockCache
{
    /// <summary>
    /// Releases an AW lock (IWM §2.2.6, both paths): no new operations, wait for the running ones, commit on
    /// every OST written in the epoch whose last transno is above its last_committed, then LockCancel with the
    /// error report. Idempotent: concurrent callers share one release.
    /// </summary>
    public Task ReleaseAsync(ActiveWriterLock aw, string reason)
    {
        return aw.StartRelease(() => Task.Run(() => RunReleaseAsync(aw, reason)));
    }

    private async Task RunReleaseAsync(ActiveWriterLock aw, string reason)
    {
        var (seenId, seenBoot) = (mds.ClientId, mds.MdsBootId);
        await aw.Drained;
        if (Options.SyncOnEpochClose)
        {
            await CommitBeforeReleaseAsync(aw);
        }

        var report = aw.BuildReport(aw.Layout);
        try
        {
            await mds.LockCancelAsync(aw.Handle, report.Encode());
            aw.ReportDelivered = true;
        }
        catch (MirrorException e) when (IsEvicted(e))
        {
            // Evicted meanwhile: the MDS already stales the secondaries (IWM §2.4.3); reconnect.
            LogCancelFailed(aw.Fid, aw.Handle, e.Message);
            if (OnEvictionDetected is { } onEvicted)
            {
                _ = onEvicted(seenId, seenBoot);
            }
        }
        catch (Exception e)
        {
            LogCancelFailed(aw.Fid, aw.Handle, e.Message);
        }
        finally
        {
            var file = For(aw.Fid);
            if (ReferenceEquals(file.ActiveWriter, aw))
            {
                file.ActiveWriter = null;
            }

            IwmMetrics.EpochsHeld.Add(-1);
            IwmMetrics.AwReleases.Add(1, new KeyValuePair<string, object?>("reason", reason));
            LogReleased(aw.Fid, aw.Handle, reason, report.MirrorMask);
        }
    }

    /// <summary>
    /// IWM §2.2.2: for every OST written in the epoch, compare the last transno with last_committed; Sync
    /// only those behind. A failed Sync (fault point "client.sync") is an error on each mirror written there.
    /// </summary>
    private async Task CommitBeforeReleaseAsync(ActiveWriterLock aw)
    {
        await Task.WhenAll(aw.Written().Select(async w =>
        {
            var target = targets.Get(w.Ost);
            if (w.Marks.AreCommitted(target))
            {
                return;
            }

            try
            {
                IwmMetrics.EpochSyncs.Add(1);
                await FaultPoints.HitAsync(SyncFaultPoint);
                await w.Marks.CommitAsync(target, Options.SyncTimeout);
            }
            catch (Exception e)
            {
                LogSyncFailed(aw.Fid, w.Ost, e.Message);
                foreach (var id in w.Mirrors)
                {
                    if (aw.Layout.Mirror(id) is { } mirror)
                    {
                        aw.RecordError(mirror, StripesOn(mirror, w.Ost));
                    }
                }
            }
        }));
    }

    internal static IEnumerable<int> StripesOn(Core.Layouts.LayoutMirror mirror, int ost) =>
        mirror.Components.SelectMany(c => Enumerable.Range(0, c.Osts.Count).Where(s => c.Osts[s] == ost).Select(s => MirrorStripes.Index(mirror, c, s))).ToArray();
    /// <summary>AW locks nobody used for <see cref="IwmOptions.IdleRelease"/> go; one that recorded an error goes as soon as it is idle (IWM §2.4.2).</summary>
    private void ReleaseIdle()
    {
        var now = DateTime.UtcNow;
        foreach (var aw in ActiveWriters)
        {
            if (aw.Active == 0 && !aw.IsReleasing && (aw.HasErrors || now - aw.LastUse >= Options.IdleRelease))
            {
                _ = ReleaseAsync(aw, aw.HasErrors ? "error" : "idle");
            }
        }
    }
}
