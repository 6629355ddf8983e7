using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mirror.Mds.Store;

/// <summary>
/// Where a mutation's time goes (README.md "How fast"): applying it under the model lock, waiting in the
/// commit queue, the batch's statements, the COMMIT (WAL write), the WAL sync, the WAL checkpoint, and the hop back
/// to the caller. Meter "Mirror.Mds.Store" (served at /metrics with every "Mirror." meter); process-wide, so
/// several MDS cores in one test process add up.
/// </summary>
internal static class StoreMetrics
{
    private static readonly Meter Meter = new("Mirror.Mds.Store");

    public static readonly Histogram<double> Apply = Meter.CreateHistogram<double>("mirror_mds_mutation_apply_seconds", unit: "s",
        description: "per mutation: taking the model lock, validating and changing memory, recording store ops");

    public static readonly Histogram<double> Queue = Meter.CreateHistogram<double>("mirror_mds_commit_queue_seconds", unit: "s",
        description: "per mutation: from enqueue until its batch's transaction starts");

    public static readonly Histogram<double> Write = Meter.CreateHistogram<double>("mirror_mds_commit_write_seconds", unit: "s",
        description: "per batch: BEGIN and executing the batch's statements");

    public static readonly Histogram<double> Sync = Meter.CreateHistogram<double>("mirror_mds_commit_sync_seconds", unit: "s",
        description: "per batch: COMMIT (writing the WAL frames; no sync, synchronous=NORMAL)");

    public static readonly Histogram<double> WalSync = Meter.CreateHistogram<double>("mirror_mds_commit_wal_sync_seconds", unit: "s",
        description: "per batch: fdatasync of the WAL after COMMIT, before any caller is answered");

    public static readonly Histogram<int> Statements = Meter.CreateHistogram<int>("mirror_mds_commit_statements",
        description: "per batch: SQL statements executed (after coalescing)");

    public static readonly Histogram<double> Resume = Meter.CreateHistogram<double>("mirror_mds_mutation_resume_seconds", unit: "s",
        description: "per mutation: from its batch being durable until the caller runs again");

    public static readonly Histogram<double> Checkpoint = Meter.CreateHistogram<double>("mirror_mds_checkpoint_seconds", unit: "s",
        description: "per WAL checkpoint (copying committed pages into the database file, fsync)");

    public static double Seconds(long since) => Stopwatch.GetElapsedTime(since).TotalSeconds;
}
