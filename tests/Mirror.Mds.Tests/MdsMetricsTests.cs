using System.Diagnostics.Metrics;
using Mirror.Mds.Host;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

public sealed class MdsMetricsTests
{
    [Fact]
    public async Task Gauges_count_files_by_flr_state_and_mirrors_by_state()
    {
        await using var mds = await StartAsync();
        using var metrics = new MdsMetrics();
        metrics.Attach(mds.Core);
        await mds.RegisterFourOstsAsync();
        await mds.MkdirAsync("d");
        await mds.CreateAsync("plain");
        var f = await mds.CreateAsync("f", Mirrors(3));
        await mds.Service.LayoutIntent(new LayoutIntentRequest { Fid = f.Attr.Fid, Op = LayoutIntentOp.IntentWrite });

        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var state = tags.ToArray().FirstOrDefault(t => t.Key == "state").Value;
            seen[instrument.Name + (state is null ? "" : "{" + state + "}")] = value;
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => seen[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(2, seen["mirror_mds_files"]);
        Assert.Equal(2, seen["mirror_mds_directories"]); // root and d
        Assert.Equal(1, seen["mirror_mds_files_by_flr_state{ro}"]);
        Assert.Equal(1, seen["mirror_mds_files_by_flr_state{wp}"]);
        Assert.Equal(0, seen["mirror_mds_files_by_flr_state{sp}"]);
        Assert.Equal(2, seen["mirror_mds_mirrors{in_sync}"]);
        Assert.Equal(2, seen["mirror_mds_mirrors{stale}"]);
        Assert.Equal(4, seen["mirror_mds_osts_up"]);
    }
}
