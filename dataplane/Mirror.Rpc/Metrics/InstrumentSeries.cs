using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Mirror.Rpc.Metrics;

/// <summary>
/// The series (one per label set) of one instrument and how they render (Prometheus text 0.0.4):
/// Counter and ObservableCounter are counters; UpDownCounter, the observable up-down counter and
/// gauges are gauges; Histogram gives cumulative _bucket{le}, _sum and _count.
/// </summary>
internal sealed class InstrumentSeries
{
    private readonly Instrument instrument;
    private readonly double[] buckets;
    private readonly Kind kind;
    private readonly ConcurrentDictionary<string, Series> series = new(StringComparer.Ordinal);

    public InstrumentSeries(Instrument instrument, double[] buckets)
    {
        this.instrument = instrument;
        this.buckets = buckets;
        var type = instrument.GetType().GetGenericTypeDefinition();
        kind = type == typeof(Counter<>) ? Kind.Counter
            : type == typeof(ObservableCounter<>) ? Kind.ObservedCounter
            : type == typeof(UpDownCounter<>) ? Kind.Sum
            : type == typeof(Histogram<>) ? Kind.Histogram
            : Kind.LastValue; // ObservableGauge, ObservableUpDownCounter, Gauge: the value as observed
        var name = Sanitize(instrument.Name);
        Name = kind is Kind.Counter or Kind.ObservedCounter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
    }

    private enum Kind
    {
        Counter,
        ObservedCounter,
        Sum,
        LastValue,
        Histogram,
    }

    public string Name { get; }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        var s = series.GetOrAdd(labels, static (_, count) => new Series(count), buckets.Length);
        lock (s)
        {
            switch (kind)
            {
                case Kind.Counter:
                case Kind.Sum:
                    s.Value += value;
                    break;
                case Kind.ObservedCounter:
                case Kind.LastValue:
                    s.Value = value;
                    break;
                case Kind.Histogram:
                    s.Value += value;
                    s.Count++;
                    var index = Array.BinarySearch(buckets, value);
                    s.BucketCounts[index >= 0 ? index : ~index]++;
                    break;
            }
        }
    }

    public void Render(StringBuilder text)
    {
        if (series.IsEmpty)
        {
            return;
        }

        var type = kind switch
        {
            Kind.Counter or Kind.ObservedCounter => "counter",
            Kind.Histogram => "histogram",
            _ => "gauge",
        };
        var help = string.IsNullOrEmpty(instrument.Description) ? instrument.Name : instrument.Description;
        text.Append("# HELP ").Append(Name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        text.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
        foreach (var (labels, s) in series.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            lock (s)
            {
                if (kind != Kind.Histogram)
                {
                    Line(text, Name, labels, null, s.Value);
                    continue;
                }

                long cumulative = 0;
                for (var i = 0; i < buckets.Length; i++)
                {
                    cumulative += s.BucketCounts[i];
                    Line(text, Name + "_bucket", labels, Format(buckets[i]), cumulative);
                }

                Line(text, Name + "_bucket", labels, "+Inf", s.Count);
                Line(text, Name + "_sum", labels, null, s.Value);
                Line(text, Name + "_count", labels, null, s.Count);
            }
        }
    }

    /// <summary>Metric names allow [a-zA-Z0-9_:], not starting with a digit.</summary>
    internal static string Sanitize(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(chars[i]) || chars[i] is '_' or ':'))
            {
                chars[i] = '_';
            }
        }

        var sanitized = new string(chars);
        return sanitized.Length > 0 && char.IsAsciiDigit(sanitized[0]) ? "_" + sanitized : sanitized;
    }

    /// <summary>Label values escape backslash, double quote and line feed (text format 0.0.4).</summary>
    internal static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>The rendered label pairs, sorted by name, as the series key: name="value",...</summary>
    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return "";
        }

        var pairs = new (string Name, string Value)[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            pairs[i] = (Sanitize(tags[i].Key), Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "");
        }

        Array.Sort(pairs, (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return string.Join(",", pairs.Select(p => $"{p.Name}=\"{EscapeLabelValue(p.Value)}\""));
    }

    private static void Line(StringBuilder text, string name, string labels, string? le, double value)
    {
        text.Append(name);
        if (labels.Length > 0 || le is not null)
        {
            text.Append('{').Append(labels);
            if (le is not null)
            {
                text.Append(labels.Length > 0 ? "," : "").Append("le=\"").Append(le).Append('"');
            }

            text.Append('}');
        }

        text.Append(' ').Append(Format(value)).Append('\n');
    }

    private sealed class Series(int buckets)
    {
        public double Value { get; set; }

        public long Count { get; set; }

        /// <summary>Per-bucket (not cumulative) counts; the last slot counts values above every bound.</summary>
        public long[] BucketCounts { get; } = new long[buckets + 1];
    }
}
