using System.Diagnostics.Metrics;

namespace Mirror.Mds.Epochs;

/// <summary>
/// IWM instruments on the "Mirror.Mds" meter (served at /metrics by the Rpc layer): open epochs, closes by
/// outcome, evictions, lock callbacks and their timeouts, STATE_ONLY layout changes, close duration.
/// </summary>
public sealed class IwmMetrics : IDisposable
{
    private readonly Meter meter = new("Mirror.Mds");
    private readonly Counter<long> closes;
    private readonly Counter<long> evictions;
    private readonly Counter<long> callbacks;
    private readonly Counter<long> callbackTimeouts;
    private readonly Counter<long> stateOnly;
    private readonly Histogram<double> closeSeconds;

    public IwmMetrics(Func<long> openEpochs)
    {
        meter.CreateObservableGauge("mirror_mds_epochs_open", openEpochs, description: "files with an open IWM write epoch");
        closes = meter.CreateCounter<long>("mirror_mds_epoch_closes_total", description: "IWM epoch closes by outcome (clean, error, evicted, forced, recovered)");
        evictions = meter.CreateCounter<long>("mirror_mds_evictions_total", description: "clients evicted (lease, callback timeout, admin)");
        callbacks = meter.CreateCounter<long>("mirror_mds_lock_callbacks_total", description: "blocking lock callbacks sent");
        callbackTimeouts = meter.CreateCounter<long>("mirror_mds_lock_callback_timeouts_total", description: "lock holders evicted for not cancelling in time");
        stateOnly = meter.CreateCounter<long>("mirror_mds_state_only_changes_total", description: "flag-only layout generation bumps (STATE_ONLY_CHANGE)");
        closeSeconds = meter.CreateHistogram<double>("mirror_mds_epoch_close_seconds", unit: "s", description: "time from the close decision to the durable close");
    }

    public void EpochClosed(string outcome, double seconds)
    {
        closes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        closeSeconds.Record(seconds);
    }

    public void Eviction() => evictions.Add(1);

    public void Callback() => callbacks.Add(1);

    public void CallbackTimeout() => callbackTimeouts.Add(1);

    public void StateOnlyChange() => stateOnly.Add(1);

    public void Dispose() => meter.Dispose();
}
