using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Mirror.Core.Errors;
using Mirror.Core.Faults;
using Mirror.Mds.Clients;
using Mirror.Mds.Epochs;

namespace Mirror.Mds.Tests;

[CollectionDefinition(nameof(GlobalFaults), DisableParallelization = true)]
public sealed class GlobalFaults;

/// <summary>Fault points are process-wide, so these tests run alone; the metrics are read with a MeterListener.</summary>
[Collection(nameof(GlobalFaults))]
public sealed class IwmFaultAndMetricTests : IDisposable
{
    public void Dispose() => FaultPoints.ClearAll();

    [Fact]
    public async Task Dropped_callback_is_never_delivered_and_the_holder_is_evicted_after_the_timeout()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 2);
        var a = await mds.ConnectAsync("a");
        var b = await mds.ConnectAsync("b");
        var awA = await mds.AwAsync(a, fid);
        await mds.AwAsync(b, fid);
        FaultPoints.Set(ClientRegistry.CallbackFault, new FaultSpec(FaultAction.Drop));

        await mds.CancelAsync(a, awA.LockHandle, 1);
        await TestMds.WaitForAsync(() => mds.Core.Locks.ExpiredCallbacks(TimeSpan.Zero).Count == 1, "the (dropped) callback to b");
        Assert.False(mds.HasCallback(b));

        mds.Clock.Advance(TimeSpan.FromSeconds(11));
        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "b's eviction and the close");
        Assert.True(mds.Core.Clients.Find(b)!.Evicted);
        Assert.True(mds.Layout(fid).Mirror(2)!.IsStale);
    }

    [Fact]
    public async Task Epoch_open_fault_fires_after_the_durable_open()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f", immediate: 2);
        var a = await mds.ConnectAsync("a");
        FaultPoints.Set(EpochManager.OpenFault, new FaultSpec(FaultAction.Fail, Remaining: 1));

        await TestMds.Fails(Errno.EIO, () => mds.AwAsync(a, fid));

        // The open was durable before the fault: the FID is in the set and its secondary INFLIGHT; with
        // no writer left, the housekeeping closes it and nothing stays INFLIGHT.
        Assert.NotEmpty(mds.Core.Model.Database.LoadEpochs());
        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "the close of the writerless epoch");
        Assert.True(mds.Layout(fid).NoInflight());
    }

    [Fact]
    public async Task Metrics_count_epoch_closes_by_outcome_evictions_callbacks_and_state_only_changes()
    {
        var seen = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Mirror.Mds" && instrument.Name.StartsWith("mirror_mds_", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var label = tags.Length > 0 ? $"{{{tags[0].Key}={tags[0].Value}}}" : "";
            seen.AddOrUpdate(instrument.Name + label, value, (_, old) => old + value);
        });
        listener.Start();

        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("metrics-f", immediate: 2);
        var a = await mds.ConnectAsync("metrics-a");
        var b = await mds.ConnectAsync("metrics-b");
        var aw = await mds.AwAsync(a, fid);
        await mds.CancelAsync(a, aw.LockHandle);
        await mds.AwAsync(b, fid);
        await mds.Service.EvictClient(new Protocol.Mds.EvictClientRequest { ClientId = b });
        await TestMds.WaitForAsync(() => !mds.EpochOpen(fid), "the evicted close");
        listener.RecordObservableInstruments();

        Assert.True(seen.GetValueOrDefault("mirror_mds_epoch_closes_total{outcome=clean}") >= 1);
        Assert.True(seen.GetValueOrDefault("mirror_mds_epoch_closes_total{outcome=evicted}") >= 1);
        Assert.True(seen.GetValueOrDefault("mirror_mds_evictions_total") >= 1);
        Assert.True(seen.GetValueOrDefault("mirror_mds_state_only_changes_total") >= 4);
        Assert.True(seen.ContainsKey("mirror_mds_epochs_open"));
    }
}
