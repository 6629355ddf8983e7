using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Mirror.Core.Errors;
using Mirror.Core.Faults;

namespace Mirror.Ost.Commit;

/// <summary>
/// Transnos and last_committed (ARCHITECTURE §2 OST, §4 invariant 4).
///
/// Every modifying operation is applied to the object file (page cache) first and then
/// <see cref="Record"/>ed: under <c>gate</c> it takes the next transno and puts what it touched into the
/// dirty set. A commit batch (<see cref="Commit"/>) takes the dirty set and the current last transno
/// together under the same gate, fsyncs the set, persists and only then publishes that transno as
/// last_committed. Because taking a transno and marking dirty are one atomic step with respect to the
/// snapshot, every transno ≤ the snapshot's is either in this batch or in an earlier committed one:
/// last_committed never covers a change that is not on disk. Batches run one at a time.
///
/// On restart the persisted last_committed is the start of the transno sequence: whatever is on disk
/// then counts as committed, and new transnos are strictly above it.
/// </summary>
public sealed partial class CommitJournal
{
    private readonly object gate = new();
    private readonly object batchLock = new();
    private readonly LastCommittedFile file;
    private readonly ILogger logger;
    private readonly int ostIndex;

    // Guarded by gate.
    private HashSet<IDurableItem> dirty = [];
    private readonly List<(ulong Target, TaskCompletionSource Done)> waiters = [];
    private long oldestDirtyTimestamp;

    // Monotonic; incremented under gate, read cross-thread without it, so Volatile/Interlocked.
    private long lastTransno;

    // Monotonic high-water mark, written only by the batch (under batchLock) after its fsyncs and the
    // persisted store; read cross-thread by every reply, so Volatile.
    private long lastCommitted;

    // Stopwatch timestamp of the oldest change of the batch being flushed (0 = none), for the lag gauge.
    private long flushingSinceTimestamp;

    public CommitJournal(string dataDir, int ostIndex, ILogger logger)
    {
        file = new LastCommittedFile(dataDir);
        this.ostIndex = ostIndex;
        this.logger = logger;
        var persisted = (long)file.Load();
        lastCommitted = persisted;
        lastTransno = persisted;
    }

    /// <summary>Raised when a caller waits for a commit; the commit thread wakes up on it.</summary>
    public event Action? CommitRequested;

    public ulong LastTransno => (ulong)Volatile.Read(ref lastTransno);

    public ulong LastCommitted => (ulong)Volatile.Read(ref lastCommitted);

    public int OstIndex => ostIndex;

    /// <summary>Seconds since the oldest change not yet committed (0 when all is committed).</summary>
    public double CommitLagSeconds
    {
        get
        {
            long oldest;
            lock (gate)
            {
                oldest = oldestDirtyTimestamp;
            }

            var flushing = Volatile.Read(ref flushingSinceTimestamp);
            if (flushing != 0 && (oldest == 0 || flushing < oldest))
            {
                oldest = flushing;
            }

            return oldest == 0 ? 0 : Stopwatch.GetElapsedTime(oldest).TotalSeconds;
        }
    }

    /// <summary>
    /// Stamps a change already applied to the page cache: returns its transno and keeps every touched
    /// item dirty until the batch that covers the transno has flushed it.
    /// </summary>
    public ulong Record(params ReadOnlySpan<IDurableItem> touched)
    {
        lock (gate)
        {
            var transno = Interlocked.Increment(ref lastTransno);
            foreach (var item in touched)
            {
                if (dirty.Add(item))
                {
                    item.Retain();
                }
            }

            if (oldestDirtyTimestamp == 0)
            {
                oldestDirtyTimestamp = Stopwatch.GetTimestamp();
            }

            return (ulong)transno;
        }
    }

    /// <summary>
    /// Completes when last_committed ≥ <paramref name="target"/>, asking the commit thread for a batch
    /// now rather than at its next tick. Faults with <see cref="MirrorException"/> if that batch fails.
    /// </summary>
    public Task WaitCommittedAsync(ulong target)
    {
        if (LastCommitted >= target)
        {
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            waiters.Add((target, done));
        }

        if (LastCommitted >= target)
        {
            CompleteWaiters(LastCommitted, null);
        }

        CommitRequested?.Invoke();
        return done.Task;
    }

    /// <summary>True when some transno is not yet covered by last_committed.</summary>
    public bool HasUncommitted => LastTransno > LastCommitted;

    /// <summary>
    /// One commit batch: fsync everything dirty, persist, then publish last_committed. Returns the
    /// batch's duration, or null when there was nothing to commit.
    /// </summary>
    public TimeSpan? Commit()
    {
        lock (batchLock)
        {
            if (!HasUncommitted)
            {
                CompleteWaiters(LastCommitted, null);
                return null;
            }

            // Fault point "ost.commit": before any fsync of the batch, so a crash here kills the OST
            // with acknowledged but uncommitted writes (the case invariant 4 guards against).
            try
            {
                FaultPoints.Hit("ost.commit");
            }
            catch (MirrorException e)
            {
                CompleteWaiters(LastTransno, e);
                throw;
            }

            var started = Stopwatch.GetTimestamp();
            HashSet<IDurableItem> batch;
            long upTo;
            lock (gate)
            {
                batch = dirty;
                dirty = [];
                upTo = Volatile.Read(ref lastTransno);
                Volatile.Write(ref flushingSinceTimestamp, oldestDirtyTimestamp);
                oldestDirtyTimestamp = 0;
            }

            try
            {
                // Files before directories: a name made durable must not point at unflushed data.
                foreach (var item in batch.Where(i => i is not DirectoryItem))
                {
                    item.MakeDurable();
                }

                foreach (var item in batch.OfType<DirectoryItem>())
                {
                    item.MakeDurable();
                }

                file.Store((ulong)upTo);
            }
            catch (Exception e)
            {
                Requeue(batch);
                Volatile.Write(ref flushingSinceTimestamp, 0);
                var failure = e as MirrorException ?? new MirrorException(Errno.EIO, $"OST {ostIndex}: commit of transnos up to {upTo} failed: {e.Message}", e);
                LogCommitFailed(logger, ostIndex, (ulong)upTo, e);
                CompleteWaiters((ulong)upTo, failure);
                throw failure;
            }

            foreach (var item in batch)
            {
                item.Release();
            }

            Volatile.Write(ref lastCommitted, upTo);
            Volatile.Write(ref flushingSinceTimestamp, 0);
            CompleteWaiters((ulong)upTo, null);
            var elapsed = Stopwatch.GetElapsedTime(started);
            LogCommitted(logger, ostIndex, (ulong)upTo, batch.Count, elapsed.TotalMilliseconds);
            return elapsed;
        }
    }

    private void Requeue(HashSet<IDurableItem> batch)
    {
        lock (gate)
        {
            foreach (var item in batch)
            {
                if (!dirty.Add(item))
                {
                    item.Release();
                }
            }

            if (oldestDirtyTimestamp == 0)
            {
                oldestDirtyTimestamp = Stopwatch.GetTimestamp();
            }
        }
    }

    /// <summary>Completes (or, with <paramref name="failure"/>, faults) every waiter whose target ≤ <paramref name="upTo"/>.</summary>
    private void CompleteWaiters(ulong upTo, Exception? failure)
    {
        List<TaskCompletionSource> ready = [];
        lock (gate)
        {
            for (var i = waiters.Count - 1; i >= 0; i--)
            {
                if (waiters[i].Target <= upTo)
                {
                    ready.Add(waiters[i].Done);
                    waiters.RemoveAt(i);
                }
            }
        }

        foreach (var done in ready)
        {
            if (failure is null)
            {
                done.TrySetResult();
            }
            else
            {
                done.TrySetException(failure);
            }
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "OST {OstIndex}: committed up to transno {Transno} ({Items} items, {Milliseconds:F1} ms)")]
    private static partial void LogCommitted(ILogger logger, int ostIndex, ulong transno, int items, double milliseconds);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "OST {OstIndex}: commit up to transno {Transno} failed; the batch stays dirty")]
    private static partial void LogCommitFailed(ILogger logger, int ostIndex, ulong transno, Exception exception);
}
