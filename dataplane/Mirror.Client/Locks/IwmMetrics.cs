using System.Diagnostics.Metrics;

namespace Mirror.Client.Locks;

/// <summary>Client-side IWM instruments (Meter "Mirror.Client", served by the Rpc exporter of a process that has one).</summary>
internal static class IwmMetrics
{
    public static readonly Meter Meter = new("Mirror.Client");

    /// <summary>AW locks (write epochs this client takes part in) held right now.</summary>
    public static readonly UpDownCounter<long> EpochsHeld = Meter.CreateUpDownCounter<long>("mirror_client_epochs_held");

    /// <summary>AW lock releases by reason: idle, callback, error, evicted.</summary>
    public static readonly Counter<long> AwReleases = Meter.CreateCounter<long>("mirror_client_aw_releases_total");

    /// <summary>Secondary mirror failures absorbed (reported to the MDS, never to the application, IWM §2.3.3.1).</summary>
    public static readonly Counter<long> SecondaryErrors = Meter.CreateCounter<long>("mirror_client_secondary_errors_total");

    /// <summary>IO restarts after a primary mirror failure (IWM §2.4.4).</summary>
    public static readonly Counter<long> PrimaryRestarts = Meter.CreateCounter<long>("mirror_client_primary_restarts_total");

    /// <summary>Cached file data dropped on a layout change that was not a STATE_ONLY_CHANGE one generation ahead (IWM §2.2.7.3).</summary>
    public static readonly Counter<long> LayoutCacheDrops = Meter.CreateCounter<long>("mirror_client_layout_cache_drops_total");

    /// <summary>OST Syncs issued by commit-before-release (IWM §2.2.2).</summary>
    public static readonly Counter<long> EpochSyncs = Meter.CreateCounter<long>("mirror_client_epoch_syncs_total");
}
