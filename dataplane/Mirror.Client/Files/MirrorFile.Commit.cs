using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Mirror.Client.Locks;
using Mirror.Core.Errors;

namespace Mirror.Client.Files;

/// <summary>The commit fsync confirms (IWM §2.2.2, §2.3.3, §2.4.4).</summary>
public sealed partial class MirrorFile
{
    /// <summary>
    /// Confirms that what the handle wrote is durable. Every OST written is committed (Sync where the
    /// watermark is not yet covered; a restart that lost acknowledged writes counts as a failure).
    ///
    /// Delayed-write FLR writes one mirror: a failure there is the application's error (EIO), never silent.
    ///
    /// IWM writes every IMMEDIATE mirror, so a failed commit is a mirror failure (§2.3.3.1), the primary's
    /// included (§2.4.4): it goes into the error report of every epoch the handle wrote in, and those AW locks
    /// are released so the MDS holds the report (persisted, §2.2.3) before fsync returns — otherwise a later
    /// eviction would keep the failed primary as the clean copy (§2.4.3). fsync then succeeds when at least
    /// one IMMEDIATE mirror committed everything; when none did, or a report could not be delivered, EIO.
    /// </summary>
    private async Task CommitAsync(HandleWrites taken, CancellationToken ct)
    {
        if (taken.IsEmpty)
        {
            return;
        }

        var timeout = client.Locks?.Options.SyncTimeout ?? client.Options.Ost.SyncTimeout;
        var failures = new ConcurrentDictionary<int, Exception>();
        await Task.WhenAll(taken.Osts.Select(async w =>
        {
            try
            {
                await w.Value.Marks.CommitAsync(client.Targets.Get(w.Key), timeout, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                failures[w.Key] = e;
            }
        }));

        if (taken.Osts.Where(w => w.Value.Delayed && failures.ContainsKey(w.Key)).Select(w => failures[w.Key]).FirstOrDefault() is { } delayedFailure)
        {
            throw AsEio(delayedFailure);
        }

        if (failures.IsEmpty)
        {
            return;
        }

        var failed = new HashSet<ushort>(taken.FailedMirrors);
        foreach (var ost in failures.Keys)
        {
            failed.UnionWith(taken.Osts[ost].Mirrors);
        }

        var delivered = await ReportCommitFailuresAsync(taken, failures.Keys);
        var clean = taken.ImmediateMirrors.Except(failed).ToArray();
        var first = failures.First();
        if (clean.Length == 0 || !delivered)
        {
            throw new MirrorException(
                Errno.EIO,
                $"{Path}: fsync: {(clean.Length == 0 ? "no immediate mirror committed every write" : "the mirror error report did not reach the MDS")} (OST{first.Key}: {first.Value.Message})",
                first.Value);
        }

        LogFsyncMirrorFailure(Path, string.Join(",", failed.Order()), string.Join(",", clean.Order()));
    }

    /// <summary>Puts the failed OSTs' mirrors into every epoch the handle wrote in and releases those AW locks; false when a report was not delivered.</summary>
    private async Task<bool> ReportCommitFailuresAsync(HandleWrites taken, ICollection<int> failedOsts)
    {
        var locks = client.Locks!;
        foreach (var aw in taken.Epochs)
        {
            foreach (var ost in failedOsts)
            {
                foreach (var id in taken.Osts[ost].Mirrors)
                {
                    if (aw.Layout.Mirror(id) is { } mirror)
                    {
                        aw.RecordError(mirror, ClientLockCache.StripesOn(mirror, ost));
                    }
                }
            }
        }

        // A release already under way commits the same OSTs itself and reports what failed there.
        await Task.WhenAll(taken.Epochs.Select(aw => locks.ReleaseAsync(aw, "sync-error")));
        return taken.Epochs.All(aw => aw.ReportDelivered);
    }

    private MirrorException AsEio(Exception e) =>
        e is MirrorException { Errno: Errno.EIO } m ? m : new MirrorException(Errno.EIO, $"{Path}: fsync: {e.Message}", e);

    private void LogFsyncMirrorFailure(string path, string failed, string clean)
    {
        if (client.Logger is { } logger)
        {
            LogFsyncMirrorFailure(logger, path, failed, clean);
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "{Path}: fsync found mirrors {Failed} failed (reported to the MDS); mirrors {Clean} hold every write")]
    private static partial void LogFsyncMirrorFailure(ILogger logger, string path, string failed, string clean);
}
