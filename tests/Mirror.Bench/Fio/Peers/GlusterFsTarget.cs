using Mirror.Bench.Fio.Targets;

namespace Mirror.Bench.Fio.Peers;

internal sealed class GlusterFsTarget(string scratch) : IBenchTarget
{
    public string Name => FioTable.GlusterFs;

    public Task<string> SetUpAsync(CancellationToken ct) => throw new TargetUnavailableException("not written yet " + scratch);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
