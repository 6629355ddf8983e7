using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Mirror.Core.Errors;
using Mirror.Core.Faults;

namespace Mirror.Mds.Store;

/// <summary>
/// Group commit (README.md): mutations enqueue their <see cref="StoreOp"/>s in model order; one writer thread
/// applies every queued mutation in ONE SQLite transaction, fsyncs once, and only then completes the callers'
/// tasks, so a reply always follows a durable commit. A failed commit leaves memory ahead of disk, so the
/// committer turns permanently failed (every later mutation gets EIO) instead of serving a diverged model.
/// </summary>
public sealed class GroupCommitter : IDisposable
{
    /// <summary>Armed by tests: fires inside the batch transaction, before COMMIT (crash = kill -9 mid-operation).</summary>
    public const string CommitFault = "mds.commit";

    /// <summary>Fires after the batch is durable and before any caller is answered.</summary>
    public const string AfterCommitFault = "mds.after-commit";

    private const int MaxBatch = 4096;

    private readonly MdsDatabase database;
    private readonly ILogger logger;
    private readonly Queue<Pending> queue = new();
    private readonly Thread writer;
    private readonly Action<int, double>? onBatch;
    private bool stopping;
    private Exception? failure;

    public GroupCommitter(MdsDatabase database, ILogger logger, Action<int, double>? onBatch = null)
    {
        this.database = database;
        this.logger = logger;
        this.onBatch = onBatch;
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

    /// <summary>Queues one mutation's ops; the task completes when they are durable. Call in model order (under the model lock).</summary>
    internal Task Enqueue(IReadOnlyList<StoreOp> ops)
    {
        var pending = new Pending(ops, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
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

            queue.Enqueue(pending);
            Monitor.Pulse(queue);
        }

        return pending.Done.Task;
    }

    public void Dispose()
    {
        lock (queue)
        {
            stopping = true;
            Monitor.Pulse(queue);
        }

        writer.Join();
    }

    private void Run()
    {
        using var connection = database.Open();
        using var statements = new StatementCache(connection);
        var batch = new List<Pending>();
        while (true)
        {
            lock (queue)
            {
                while (queue.Count == 0 && !stopping)
                {
                    Monitor.Wait(queue);
                }

                if (queue.Count == 0)
                {
                    return;
                }

                while (queue.Count > 0 && batch.Count < MaxBatch)
                {
                    batch.Add(queue.Dequeue());
                }
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                using (var transaction = connection.BeginTransaction())
                {
                    statements.Transaction = transaction;
                    foreach (var pending in batch)
                    {
                        foreach (var op in pending.Ops)
                        {
                            op.Apply(statements);
                        }
                    }

                    FaultPoints.Hit(CommitFault);
                    transaction.Commit();
                }

                onBatch?.Invoke(batch.Count, Stopwatch.GetElapsedTime(started).TotalSeconds);
                FaultPoints.Hit(AfterCommitFault);
                foreach (var pending in batch)
                {
                    pending.Done.TrySetResult();
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
                }

                foreach (var pending in batch)
                {
                    pending.Done.TrySetException(error);
                }
            }

            batch.Clear();
        }
    }

    private sealed record Pending(IReadOnlyList<StoreOp> Ops, TaskCompletionSource Done);
}
