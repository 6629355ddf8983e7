using System.Diagnostics.Metrics;
using Mirror.Core.Layouts;
using Mirror.Mds.Namespace;

namespace Mirror.Mds.Host;

/// <summary>
/// The MDS's instruments (Meter "Mirror.Mds", served at /metrics by the Rpc layer). Gauges are computed at
/// scrape time by one pass over the model under its lock: O(inodes), fine for the namespaces we serve.
/// </summary>
public sealed class MdsMetrics : IDisposable
{
    private readonly Meter meter = new("Mirror.Mds");
    private readonly Histogram<int> batchSize;
    private readonly Histogram<double> batchSeconds;
    private MdsCore? core;

    public MdsMetrics()
    {
        batchSize = meter.CreateHistogram<int>("mirror_mds_commit_batch_mutations", description: "mutations committed per SQLite transaction");
        batchSeconds = meter.CreateHistogram<double>("mirror_mds_commit_batch_seconds", unit: "s", description: "time to apply and fsync one batch");
        meter.CreateObservableGauge("mirror_mds_files", () => Count(i => i.Type == InodeType.Regular), description: "regular files");
        meter.CreateObservableGauge("mirror_mds_directories", () => Count(i => i.Type == InodeType.Directory), description: "directories");
        meter.CreateObservableGauge("mirror_mds_files_by_flr_state", FilesByState, description: "regular files by FLR state");
        meter.CreateObservableGauge("mirror_mds_mirrors", MirrorsByState, description: "mirrors by state (in_sync, stale)");
        meter.CreateObservableGauge("mirror_mds_changelog_backlog_records", () => (long)(core?.Changelog.Backlog() ?? 0),
            description: "last changelog index minus the slowest consumer's cleared index");
        meter.CreateObservableGauge("mirror_mds_osts_up", () => core is null ? 0 : core.Model.Read(() => core.Registry.List().Count(o => o.Up)),
            description: "registered OSTs heard from recently");
        meter.CreateObservableGauge("mirror_mds_orphan_objects", () => core is null ? 0 : core.Model.Read(() => core.Model.Orphans.Count),
            description: "OST objects waiting to be destroyed");
    }

    internal Meter Meter => meter;

    /// <summary>Hook for <see cref="MdsCoreOptions.OnCommitBatch"/>.</summary>
    public void RecordBatch(int mutations, double seconds)
    {
        batchSize.Record(mutations);
        batchSeconds.Record(seconds);
    }

    public void Attach(MdsCore attached) => core = attached;

    public void Dispose() => meter.Dispose();

    private long Count(Func<Inode, bool> predicate) =>
        core is null ? 0 : core.Model.Read(() => core.Model.Inodes.Values.LongCount(predicate));

    private IEnumerable<Measurement<long>> FilesByState()
    {
        if (core is null)
        {
            return [];
        }

        var counts = core.Model.Read(() => core.Model.Inodes.Values.Where(i => i.Layout is not null)
            .GroupBy(i => i.Layout!.Layout.State).ToDictionary(g => g.Key, g => g.LongCount()));
        return Enum.GetValues<FlrState>().Select(s =>
            new Measurement<long>(counts.GetValueOrDefault(s), new KeyValuePair<string, object?>("state", FlrStateNames.Short(s))));
    }

    private IEnumerable<Measurement<long>> MirrorsByState()
    {
        if (core is null)
        {
            return [];
        }

        var (inSync, stale) = core.Model.Read(() =>
        {
            var mirrors = core.Model.Inodes.Values.Where(i => i.Layout is not null).SelectMany(i => i.Layout!.Layout.Mirrors).ToList();
            return (mirrors.LongCount(m => !m.IsStale), mirrors.LongCount(m => m.IsStale));
        });
        return
        [
            new Measurement<long>(inSync, new KeyValuePair<string, object?>("state", "in_sync")),
            new Measurement<long>(stale, new KeyValuePair<string, object?>("state", "stale")),
        ];
    }
}
