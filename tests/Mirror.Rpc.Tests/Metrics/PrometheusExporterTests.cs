using System.Diagnostics.Metrics;
using Mirror.Rpc.Metrics;

namespace Mirror.Rpc.Tests.Metrics;

/// <summary>Text format 0.0.4 rendering of every instrument kind.</summary>
public sealed class PrometheusExporterTests : IDisposable
{
    private readonly string prefix = $"Mirror.ExporterTest{Guid.NewGuid():N}";
    private readonly Meter meter;
    private readonly Meter foreign;
    private readonly PrometheusExporter exporter;

    public PrometheusExporterTests()
    {
        meter = new Meter(prefix + ".Ost");
        foreign = new Meter("Other" + prefix);
        exporter = new PrometheusExporter(prefix + ".");
    }

    [Fact]
    public void Counter_gets_total_suffix_help_type_and_sorted_labels()
    {
        var counter = meter.CreateCounter<long>("mirror_ost_writes", description: "Writes served");
        counter.Add(2, new("target", "ost1"), new("kind", "data"));
        counter.Add(3, new("kind", "data"), new("target", "ost1"));

        var text = exporter.Render();

        Assert.Contains("# HELP mirror_ost_writes_total Writes served\n# TYPE mirror_ost_writes_total counter\n", text);
        Assert.Contains("mirror_ost_writes_total{kind=\"data\",target=\"ost1\"} 5\n", text);
    }

    [Fact]
    public void Counter_already_named_total_is_not_suffixed_twice()
    {
        meter.CreateCounter<int>("mirror_ost_bytes_total").Add(7);

        Assert.Contains("mirror_ost_bytes_total 7\n", exporter.Render());
    }

    [Fact]
    public void Label_values_are_escaped()
    {
        meter.CreateCounter<long>("mirror_ost_errors").Add(1, new KeyValuePair<string, object?>("path", "a\\b \"q\"\nz"));

        Assert.Contains("mirror_ost_errors_total{path=\"a\\\\b \\\"q\\\"\\nz\"} 1\n", exporter.Render());
    }

    [Fact]
    public void Up_down_counters_and_gauges_are_gauges()
    {
        var inflight = meter.CreateUpDownCounter<int>("mirror_ost_inflight");
        inflight.Add(5);
        inflight.Add(-2);
        meter.CreateObservableGauge("mirror_ost_commit_lag_transnos", () => 12.5);
        meter.CreateObservableUpDownCounter("mirror_ost_open_objects", () => 4L);
        meter.CreateGauge<double>("mirror_ost_free_ratio").Record(0.25);
        meter.CreateObservableCounter("mirror_ost_reads", () => 99L);

        var text = exporter.Render();

        Assert.Contains("# TYPE mirror_ost_inflight gauge\nmirror_ost_inflight 3\n", text);
        Assert.Contains("# TYPE mirror_ost_commit_lag_transnos gauge\nmirror_ost_commit_lag_transnos 12.5\n", text);
        Assert.Contains("mirror_ost_open_objects 4\n", text);
        Assert.Contains("mirror_ost_free_ratio 0.25\n", text);
        Assert.Contains("# TYPE mirror_ost_reads_total counter\nmirror_ost_reads_total 99\n", text);
    }

    [Fact]
    public void Histogram_has_cumulative_buckets_sum_and_count_from_advice()
    {
        var histogram = meter.CreateHistogram("mirror_ost_write_bytes", unit: "By", description: "Write sizes", tags: null,
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1024, 4096] });
        histogram.Record(100, new KeyValuePair<string, object?>("target", "ost0"));
        histogram.Record(1024, new KeyValuePair<string, object?>("target", "ost0"));
        histogram.Record(2000, new KeyValuePair<string, object?>("target", "ost0"));
        histogram.Record(9000, new KeyValuePair<string, object?>("target", "ost0"));

        var text = exporter.Render();

        Assert.Contains(
            "# HELP mirror_ost_write_bytes Write sizes\n" +
            "# TYPE mirror_ost_write_bytes histogram\n" +
            "mirror_ost_write_bytes_bucket{target=\"ost0\",le=\"1024\"} 2\n" +
            "mirror_ost_write_bytes_bucket{target=\"ost0\",le=\"4096\"} 3\n" +
            "mirror_ost_write_bytes_bucket{target=\"ost0\",le=\"+Inf\"} 4\n" +
            "mirror_ost_write_bytes_sum{target=\"ost0\"} 12124\n" +
            "mirror_ost_write_bytes_count{target=\"ost0\"} 4\n", text);
    }

    [Fact]
    public void Histogram_without_advice_uses_default_buckets()
    {
        meter.CreateHistogram<double>("mirror_ost_fsync_seconds").Record(0.003);

        var text = exporter.Render();

        Assert.Contains("mirror_ost_fsync_seconds_bucket{le=\"0.005\"} 1\n", text);
        Assert.Contains("mirror_ost_fsync_seconds_bucket{le=\"10\"} 1\n", text);
    }

    [Fact]
    public void Meters_outside_the_prefix_and_odd_names_are_handled()
    {
        foreign.CreateCounter<long>("not_ours").Add(1);
        meter.CreateCounter<long>("mirror.ost-dotted.name").Add(1);

        var text = exporter.Render();

        Assert.DoesNotContain("not_ours", text);
        Assert.Contains("mirror_ost_dotted_name_total 1\n", text);
    }

    public void Dispose()
    {
        exporter.Dispose();
        meter.Dispose();
        foreign.Dispose();
    }
}
