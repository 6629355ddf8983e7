using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Mirror.Core.Errors;
using Mirror.Core.Faults;

namespace Mirror.Mds.Store;

/// <summary>
/// Group commit (README.md): mutations enqueue their <see cref="StoreOp"/>s in model order; one committer at a
/// time (the caller that found the committer idle, else the writer thread) applies every queued mutation in ONE
/// SQLite transaction, syncs the WAL once (<see cref="WalSync"/>), and only then completes the callers' tasks, so a
/// reply always follows a durable commit. A failed commit leaves memory ahead of disk, so the
/// committer turns permanently failed (every later mutation gets EIO) instead of serving a diverged model.
/// </summary>
public sealed class GroupCommitter : IDisposable
{
    /// <summary>Armed by tests: fires inside the batch transaction, before COMMIT (crash = kill -9 mid-operation).</summary>
    public const string CommitFault = "mds.commit";

    /// <summary>
    /// Fires after COMMIT returned and before the WAL is synced: the batch is in the WAL (kill -9 keeps it, a power
    /// loss may not), so no caller may have been answered yet.
    /// </summary>
    public const string WalSyncFault = "mds.wal-sync";

    /// <summary>Fires after the batch is durable and before any caller is answered.</summary>
    public const string AfterCommitFault = "mds.after-commit";

    private const int MaxBatch = 4096;

    /// <summary>How long ops queued without a waiter (<see cref="EnqueueLazy"/>) may wait for a batch to ride in.</summary>
    private static readonly TimeSpan LazyDelay = TimeSpan.FromMilliseconds(500);

    private readonly ILogger logger;
    private readonly Queue<Pending> queue = new();
    private readonly Thread writer;
    private readonly Action<int, double>? onBatch;
    private readonly Microsoft.Data.Sqlite.SqliteConnection connection;
    private readonly StatementCache statements;
    private readonly WalSync wal;
    private readonly List<Pending> batch = [];
    private readonly Dictionary<object, int> coalesce = [];
    private bool stopping;
    private bool committing;
    private int waiting;
    private long oldestLazy;
    private Exception? failure;

    public GroupCommitter(MdsDatabase database, ILogger logger, Action<int, double>? onBatch = null)
    {
        this.logger = logger;
        this.onBatch = onBatch;
        connection = database.OpenUnsyncedWriter();
        using (var read = connection.CreateCommand())
        {
            // The first read in WAL mode creates the -wal file, which WalSync opens.
            read.CommandText = "SELECT COUNT(*) FROM meta";
            read.ExecuteScalar();
        }

        wal = new WalSync(database.Path);
        statements = new StatementCache(connection);
        writer = new Thread(Run) { IsBackground = true, Name = "mds-group-commit" };
        writer.Start();
    }

    /// <summary>False once a commit failed: memory may be ahead of disk, and only a restart reloads the truth.</summary>
    public bool Healthy => Volatile.Read(ref failure) is null;

    /// <summary>Throws EIO when a commit failed earlier (checked before a mutation touches memory).</summary>
    public void ThrowIfFailed()
    {
        var failed = Volatile.Read(ref failure);
        if (failed is not null)
        {
            throw new MirrorException(Errno.EIO, $"metadata store failed earlier and is read-only until restart: {failed.Message}");
        }
    }

    /// <summary>
    /// Queues one mutation's ops; its <see cref="Pending.Done"/> completes when they are durable. Call in model order
    /// (under the model lock). When no batch is being committed the caller becomes the committer (<paramref name="lead"/>):
    /// it must call <see cref="Lead"/> once it has left the model lock.
    /// </summary>
    internal Pending Enqueue(IReadOnlyList<StoreOp> ops, out bool lead)
    {
        var pending = new Pending(ops, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), Stopwatch.GetTimestamp());
        lead = Add(pending);
        return pending;
    }

    /// <summary>
    /// Queues ops nobody waits for: they ride in the next batch a waiting mutation starts, or are committed on
    /// their own after <see cref="LazyDelay"/>. Only for changes whose loss in a crash is harmless because they are
    /// redone (a destroyed orphan's row: destroying it again finds no object). Call under the model lock.
    /// </summary>
    internal void EnqueueLazy(IReadOnlyList<StoreOp> ops) => Add(new Pending(ops, null, Stopwatch.GetTimestamp()));

    /// <summary>
    /// Commits the queue as it is now on the calling thread (the caller was made committer by <see cref="Enqueue"/>),
    /// so an idle MDS answers a lone mutation without two thread hand-offs (to the writer and back). Whatever
    /// arrives meanwhile is left to the writer thread: the caller's reply does not wait for others' batches.
    /// </summary>
    internal void Lead()
    {
        lock (queue)
        {
            Take();
        }

        CommitBatch();
        Release();
    }

    public void Dispose()
    {
        lock (queue)
        {
            stopping = true;
            Monitor.PulseAll(queue);
        }

        writer.Join();
        statements.Dispose();
        connection.Dispose();
        wal.Dispose();
    }

    private bool Add(Pending pending)
    {
        lock (queue)
        {
            if (failure is not null)
            {
                throw new MirrorException(Errno.EIO, $"metadata store failed earlier and is read-only until restart: {failure.Message}");
            }

            if (stopping)
            {
                throw new MirrorException(Errno.ECANCELED, "the MDS is stopping");
            }

            if (queue.Count == 0)
            {
                oldestLazy = pending.EnqueuedAt;
            }

            queue.Enqueue(pending);
            if (pending.Done is null)
            {
                if (queue.Count == 1 && !committing)
                {
                    Monitor.PulseAll(queue);
                }

                return false;
            }

            waiting++;
            if (committing)
            {
                return false; // the committer hands over to the writer thread when it is done
            }

            committing = true;
            return true;
        }
    }

    /// <summary>Moves the queue (up to <see cref="MaxBatch"/>) into <see cref="batch"/>. Under the queue lock, as committer.</summary>
    private void Take()
    {
        while (queue.Count > 0 && batch.Count < MaxBatch)
        {
            var next = queue.Dequeue();
            batch.Add(next);
            if (next.Done is not null)
            {
                waiting--;
            }
        }

        if (queue.Count > 0)
        {
            oldestLazy = queue.Peek().EnqueuedAt;
        }
    }

    /// <summary>Ends a turn as committer; the writer thread picks up what queued meanwhile.</summary>
    private void Release()
    {
        lock (queue)
        {
            committing = false;
            if (queue.Count > 0 || stopping)
            {
                Monitor.PulseAll(queue);
            }
        }
    }

    /// <summary>The writer thread: commits what callers did not (arrivals during a commit, lazy ops, the rest at stop).</summary>
    private void Run()
    {
        while (true)
        {
            lock (queue)
            {
                while (true)
                {
                    if (!committing && queue.Count > 0)
                    {
                        // Only lazy ops queued: give a waiting mutation the chance to carry them.
                        var left = LazyDelay - Stopwatch.GetElapsedTime(oldestLazy);
                        if (waiting > 0 || stopping || left <= TimeSpan.Zero)
                        {
                            break;
                        }

                        Monitor.Wait(queue, left);
                        continue;
                    }

                    if (stopping && !committing && queue.Count == 0)
                    {
                        return;
                    }

                    Monitor.Wait(queue);
                }

                committing = true;
                Take();
            }

            CommitBatch();
            Release();
        }
    }

    /// <summary>Commits <see cref="batch"/> in one transaction and answers its callers; as committer, outside the queue lock.</summary>
    private void CommitBatch()
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var skip = Coalesce(batch, coalesce);
            statements.Executed = 0;
            using (var transaction = connection.BeginTransaction())
            {
                statements.Transaction = transaction;
                var position = 0;
                foreach (var pending in batch)
                {
                    if (pending.Done is not null)
                    {
                        StoreMetrics.Queue.Record((started - pending.EnqueuedAt) / (double)Stopwatch.Frequency);
                    }

                    foreach (var op in pending.Ops)
                    {
                        if (!skip.Contains(position++))
                        {
                            op.Apply(statements);
                        }
                    }
                }

                StoreMetrics.Write.Record(StoreMetrics.Seconds(started));
                StoreMetrics.Statements.Record(statements.Executed);
                FaultPoints.Hit(CommitFault);
                var committingAt = Stopwatch.GetTimestamp();
                transaction.Commit();
                StoreMetrics.Sync.Record(StoreMetrics.Seconds(committingAt));
            }

            // Durability order (README.md "Durability"): COMMIT (synchronous=NORMAL) has written the batch's frames,
            // the last one marked as a commit, into the WAL with write(2) and returned without syncing. They are in
            // the page cache, so kill -9 from here on keeps the batch, but a power loss could lose it. fdatasync of
            // the WAL puts every frame written so far on stable storage; only after it returns are the callers
            // completed below. A checkpoint cannot get between the two: it runs inside COMMIT (this connection's
            // wal_autocheckpoint) and itself syncs the WAL before copying it, and the database before restarting it.
            FaultPoints.Hit(WalSyncFault);
            var syncingAt = Stopwatch.GetTimestamp();
            wal.Sync();
            StoreMetrics.WalSync.Record(StoreMetrics.Seconds(syncingAt));

            onBatch?.Invoke(batch.Count, StoreMetrics.Seconds(started));
            FaultPoints.Hit(AfterCommitFault);
            var durableAt = Stopwatch.GetTimestamp();
            foreach (var pending in batch)
            {
                pending.DurableAt = durableAt;
                pending.Done?.TrySetResult();
            }
        }
        catch (Exception e)
        {
            logger.CommitFailed(e, batch.Count);
            var error = new MirrorException(Errno.EIO, $"metadata commit failed: {e.Message}", e);
            lock (queue)
            {
                failure = e;
                while (queue.Count > 0)
                {
                    batch.Add(queue.Dequeue());
                }

                waiting = 0;
            }

            foreach (var pending in batch)
            {
                pending.Done?.TrySetException(error);
            }
        }

        batch.Clear();
    }

    /// <summary>
    /// Positions (in batch op order) of whole-row upserts that a later upsert of the same row in this batch
    /// overwrites: only the last one is executed, where it stands, so a delete after it still follows it and the
    /// transaction ends in the same state. Many creates in one directory write the directory's row and the meta
    /// counters once per batch instead of once per create.
    /// </summary>
    private static HashSet<int> Coalesce(List<Pending> batch, Dictionary<object, int> last)
    {
        var skip = new HashSet<int>();
        if (batch.Count < 2)
        {
            return skip;
        }

        last.Clear();
        var position = 0;
        foreach (var pending in batch)
        {
            foreach (var op in pending.Ops)
            {
                if (op.RowKey is { } key)
                {
                    if (last.TryGetValue(key, out var earlier))
                    {
                        skip.Add(earlier);
                    }

                    last[key] = position;
                }

                position++;
            }
        }

        return skip;
    }

    /// <summary>One mutation's ops; <see cref="Done"/> is null for lazy ops nobody waits for.</summary>
    internal sealed record Pending(IReadOnlyList<StoreOp> Ops, TaskCompletionSource? Done, long EnqueuedAt)
    {
        /// <summary>Stopwatch timestamp at which its batch became durable (for the resume span).</summary>
        public long DurableAt { get; set; }
    }
}
