using Microsoft.Extensions.Logging;

namespace Mirror.Ost.Commit;

/// <summary>
/// The OST's commit thread: runs a <see cref="CommitJournal.Commit"/> batch every commit interval
/// (Lustre's journal commit, ~5 s there, 1 s here by default) and at once when a Sync or a sync write
/// waits. A dedicated thread because fsync blocks; it never runs on the thread pool.
/// </summary>
public sealed partial class CommitThread : IDisposable
{
    private readonly CommitJournal journal;
    private readonly TimeSpan interval;
    private readonly ILogger logger;
    private readonly AutoResetEvent wake = new(false);
    private readonly Thread thread;
    private volatile bool stopping;

    public CommitThread(CommitJournal journal, TimeSpan interval, ILogger logger)
    {
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "the commit interval must be positive");
        }

        this.journal = journal;
        this.interval = interval;
        this.logger = logger;
        journal.CommitRequested += OnCommitRequested;
        thread = new Thread(Run) { IsBackground = true, Name = $"ost{journal.OstIndex}-commit" };
        thread.Start();
    }

    /// <summary>Called after each batch with its duration (metrics).</summary>
    public event Action<TimeSpan>? Committed;

    /// <summary>Stops the thread, then runs a final batch on the caller so nothing acknowledged stays uncommitted.</summary>
    public void Dispose()
    {
        if (stopping)
        {
            return;
        }

        stopping = true;
        wake.Set();
        thread.Join();
        RunBatch();
    }

    private void OnCommitRequested()
    {
        if (stopping)
        {
            // No thread to wake (stopped, or stopping): commit on the caller's behalf.
            ThreadPool.QueueUserWorkItem(_ => RunBatch());
        }
        else
        {
            wake.Set();
        }
    }

    private void Run()
    {
        while (!stopping)
        {
            wake.WaitOne(interval);
            if (stopping)
            {
                break;
            }

            RunBatch();
        }
    }

    private void RunBatch()
    {
        try
        {
            var elapsed = journal.Commit();
            if (elapsed is { } duration)
            {
                Committed?.Invoke(duration);
            }
        }
        catch (Exception e)
        {
            // The journal has logged it, requeued the batch and failed its waiters; retry next tick.
            LogBatchFailed(logger, journal.OstIndex, e.Message);
        }
    }

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "OST {OstIndex}: commit batch failed, retrying at the next tick: {Reason}")]
    private static partial void LogBatchFailed(ILogger logger, int ostIndex, string reason);
}
