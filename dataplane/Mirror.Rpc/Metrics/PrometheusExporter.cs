using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;

namespace Mirror.Rpc.Metrics;

/// <summary>
/// Collects every instrument of every Meter whose name starts with a prefix ("Mirror." by default)
/// through a <see cref="MeterListener"/> and renders them in the Prometheus text exposition format
/// 0.0.4. Counting starts when the exporter is created, so a process creates it (or touches
/// <see cref="Default"/>) at start-up. Thread-safe: measurements arrive on any thread.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Prometheus client defaults, used when a histogram gives no bucket advice.</summary>
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly Lazy<PrometheusExporter> Shared = new(() => new PrometheusExporter("Mirror."));

    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentSeries> instruments = new();
    private readonly string meterPrefix;

    public PrometheusExporter(string meterPrefix)
    {
        this.meterPrefix = meterPrefix;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name.StartsWith(this.meterPrefix, StringComparison.Ordinal))
            {
                var series = new InstrumentSeries(instrument, BucketsFor(instrument));
                instruments[instrument] = series;
                l.EnableMeasurementEvents(instrument, series);
            }
        };
        listener.MeasurementsCompleted = (instrument, _) => instruments.TryRemove(instrument, out InstrumentSeries? _);
        listener.SetMeasurementEventCallback<byte>((i, v, tags, state) => Record(state, v, tags));
        listener.SetMeasurementEventCallback<short>((i, v, tags, state) => Record(state, v, tags));
        listener.SetMeasurementEventCallback<int>((i, v, tags, state) => Record(state, v, tags));
        listener.SetMeasurementEventCallback<long>((i, v, tags, state) => Record(state, v, tags));
        listener.SetMeasurementEventCallback<float>((i, v, tags, state) => Record(state, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, state) => Record(state, v, tags));
        listener.SetMeasurementEventCallback<decimal>((i, v, tags, state) => Record(state, (double)v, tags));
        listener.Start();
    }

    /// <summary>The process-wide exporter of every "Mirror.*" meter.</summary>
    public static PrometheusExporter Default => Shared.Value;

    /// <summary>The current value of every series, in text format 0.0.4.</summary>
    public string Render()
    {
        // Observable instruments report only when asked.
        listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var series in instruments.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            series.Render(text);
        }

        return text.ToString();
    }

    public void Dispose() => listener.Dispose();

    private static void Record(object? state, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (state is InstrumentSeries series)
        {
            series.Record(value, tags);
        }
    }

    private static double[] BucketsFor(Instrument instrument) => instrument switch
    {
        Histogram<byte> h => Advice(h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b)),
        Histogram<short> h => Advice(h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b)),
        Histogram<int> h => Advice(h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b)),
        Histogram<long> h => Advice(h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b)),
        Histogram<float> h => Advice(h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b)),
        Histogram<double> h => Advice(h.Advice?.HistogramBucketBoundaries),
        Histogram<decimal> h => Advice(h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b)),
        _ => DefaultBuckets,
    };

    private static double[] Advice(IEnumerable<double>? advice) =>
        advice?.Order().ToArray() is { Length: > 0 } buckets ? buckets : DefaultBuckets;
}
