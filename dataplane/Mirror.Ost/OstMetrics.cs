using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Mirror.Ost.Commit;
using Mirror.Ost.Objects;

namespace Mirror.Ost;

/// <summary>
/// The OST's instruments on Meter "Mirror.Ost" (ARCHITECTURE §6: OST commit lag). One Meter per process,
/// shared by every OST in it (tests run several): each measurement is tagged with the OST index and the
/// observable gauges walk the OSTs registered here.
/// </summary>
public static class OstMetrics
{
    public const string MeterName = "Mirror.Ost";

    private static readonly Meter Meter = new(MeterName);
    private static readonly ConcurrentDictionary<int, (CommitJournal Journal, ObjectStore Store)> Targets = new();

    private static readonly Counter<long> BytesWritten = Meter.CreateCounter<long>("mirror_ost_write_bytes", "By", "Bytes written to objects");
    private static readonly Counter<long> BytesRead = Meter.CreateCounter<long>("mirror_ost_read_bytes", "By", "Bytes read from objects");
    private static readonly Histogram<double> CommitBatchSeconds = Meter.CreateHistogram(
        "mirror_ost_commit_batch_seconds",
        "s",
        "Duration of one commit batch (fsyncs and the last_committed store)",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    static OstMetrics()
    {
        Meter.CreateObservableGauge("mirror_ost_last_transno", () => Observe(t => (long)t.Journal.LastTransno), description: "Highest transno given out");
        Meter.CreateObservableGauge("mirror_ost_last_committed", () => Observe(t => (long)t.Journal.LastCommitted), description: "Highest transno known durable");
        Meter.CreateObservableGauge("mirror_ost_commit_lag_transnos", () => Observe(t => (long)(t.Journal.LastTransno - t.Journal.LastCommitted)), description: "Transnos given out but not yet committed");
        Meter.CreateObservableGauge("mirror_ost_commit_lag_seconds", () => Observe(t => t.Journal.CommitLagSeconds), "s", "Age of the oldest uncommitted change");
        Meter.CreateObservableGauge("mirror_ost_objects", () => Observe(t => t.Store.ObjectCount), description: "Objects stored");
        Meter.CreateObservableGauge("mirror_ost_free_bytes", () => Observe(t => (long)t.Store.Statfs().FreeBytes), "By", "Free bytes of the data dir's file system");
    }

    internal static void Register(int ostIndex, CommitJournal journal, ObjectStore store) => Targets[ostIndex] = (journal, store);

    internal static void Unregister(int ostIndex, CommitJournal journal)
    {
        if (Targets.TryGetValue(ostIndex, out var entry) && ReferenceEquals(entry.Journal, journal))
        {
            Targets.TryRemove(ostIndex, out _);
        }
    }

    internal static void Written(int ostIndex, long bytes) => BytesWritten.Add(bytes, Tag(ostIndex));

    internal static void Read(int ostIndex, long bytes) => BytesRead.Add(bytes, Tag(ostIndex));

    internal static void CommitBatch(int ostIndex, TimeSpan duration) => CommitBatchSeconds.Record(duration.TotalSeconds, Tag(ostIndex));

    private static KeyValuePair<string, object?> Tag(int ostIndex) => new("ost", ostIndex);

    private static IEnumerable<Measurement<T>> Observe<T>(Func<(CommitJournal Journal, ObjectStore Store), T> read)
        where T : struct
    {
        foreach (var (index, target) in Targets)
        {
            T value;
            try
            {
                value = read(target);
            }
            catch (Exception e) when (e is IOException or Core.Errors.MirrorException or ObjectDisposedException)
            {
                continue;
            }

            yield return new Measurement<T>(value, Tag(index));
        }
    }
}
