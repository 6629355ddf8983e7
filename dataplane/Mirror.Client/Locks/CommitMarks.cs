using Mirror.Client.Targets;
using Mirror.Core.Errors;

namespace Mirror.Client.Locks;

/// <summary>
/// What a writer must see committed on one OST (IWM §2.2.2 "compare the last transno with last_committed"):
/// the highest transno it got back from each boot of the OST process. A restart between the write and the
/// check is judged by the durable last_committed the new process reported (<see cref="OstTarget.IsCommitted"/>),
/// so writes the killed process had acknowledged but not committed count as failed, never as committed.
/// Thread-safe.
/// </summary>
public sealed class CommitMarks
{
    private readonly Dictionary<string, ulong> byBoot = [];

    /// <summary>Records the OST's current watermark (call after a write to it completed).</summary>
    public void Add(IOstTarget target)
    {
        var (boot, transno) = target is OstTarget real ? real.Watermark() : ("", target.HighestTransno);
        lock (byBoot)
        {
            byBoot[boot] = Math.Max(byBoot.GetValueOrDefault(boot), transno);
        }
    }

    public void Merge(CommitMarks other)
    {
        foreach (var (boot, transno) in other.Snapshot())
        {
            lock (byBoot)
            {
                byBoot[boot] = Math.Max(byBoot.GetValueOrDefault(boot), transno);
            }
        }
    }

    /// <summary>True when every recorded write is durable on the OST.</summary>
    public bool AreCommitted(IOstTarget target) =>
        Snapshot().All(m => target is OstTarget real ? real.IsCommitted(m.Key, m.Value) : target.LastCommitted >= m.Value);

    /// <summary>
    /// Makes sure every recorded write is durable: nothing when already known committed, else OST Sync.
    /// Throws (EIO when the OST answered but the writes are gone or still uncommitted) when it is not.
    /// </summary>
    public async Task CommitAsync(IOstTarget target, TimeSpan timeout, CancellationToken ct = default)
    {
        if (AreCommitted(target))
        {
            return;
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(timeout);
        await target.SyncAsync(budget.Token);
        if (!AreCommitted(target))
        {
            throw new MirrorException(Errno.EIO, $"OST{target.Index}: writes up to transno {Snapshot().Max(m => m.Value)} are not committed after Sync (the OST restarted and lost them, or its last_committed is behind)");
        }
    }

    private KeyValuePair<string, ulong>[] Snapshot()
    {
        lock (byBoot)
        {
            return byBoot.ToArray();
        }
    }
}
