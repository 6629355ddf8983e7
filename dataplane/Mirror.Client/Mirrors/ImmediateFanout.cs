using Mirror.Client.Metadata;
using Mirror.Core.Errors;
using Mirror.Core.Faults;
using Mirror.Core.Layouts;

namespace Mirror.Client.Mirrors;

/// <summary>One mirror that failed an immediate modification, with the stripes that failed (all of them when unknown).</summary>
public sealed record ImmediateFailure(LayoutMirror Mirror, MirrorError Error, IReadOnlyCollection<int> Stripes);

/// <summary>What an immediate modification did on each mirror.</summary>
public sealed class ImmediateResult
{
    public required ImmediateTargets Targets { get; init; }

    /// <summary>The primary's failure, or null: the only failure the application may see (IWM §2.3.3.1).</summary>
    public ImmediateFailure? Primary { get; set; }

    /// <summary>Secondaries that failed (fast-failed): reported to the MDS in the AW cancel LVB, never to the application.</summary>
    public List<ImmediateFailure> Secondaries { get; } = [];

    /// <summary>Per OST the mirrors that wrote to it (commit-before-release, IWM §2.2.2).</summary>
    public Dictionary<int, HashSet<ushort>> MirrorsByOst { get; } = [];

    public bool AllFailed => Primary is not null && Secondaries.Count == Targets.Secondaries.Count;
}

/// <summary>
/// IWM fan-out of one modification (write §2.3.1, truncate/punch/fallocate/setattr §2.3.2.2) to the
/// primary and the secondaries, each through its own geometry.
///
/// Ordering (§1.2 "write leader"): the primary's OST calls are issued before any secondary's; the caller
/// (MirrorFile) additionally keeps overlapping modifications from starting before the previous one ended
/// on every mirror, so the primary also completes first for overlapping writes.
///
/// Secondary fast-fail (§2.3.3.1, option 1 "hard fail" with a tunable budget): each secondary attempt is
/// bounded by <c>secondaryTimeout</c> and retried <c>secondaryRetries</c> times; then the failure is recorded,
/// not thrown. The primary has no alternative, so it runs with the normal OST timeouts and retries.
/// Fault point "client.ost.write.mirror{id}" fails every modification sent to mirror id.
/// </summary>
public static class ImmediateFanout
{
    public const string FaultPointPrefix = "client.ost.write.mirror";

    public static async Task<ImmediateResult> RunAsync(
        ImmediateTargets targets,
        Func<LayoutMirror, CancellationToken, Task<MirrorWriteResult>> modify,
        TimeSpan secondaryTimeout,
        int secondaryRetries,
        CancellationToken ct)
    {
        var result = new ImmediateResult { Targets = targets };
        var primary = RunOnceAsync(targets.Primary, modify, result, ct);
        var secondaries = targets.Secondaries.Select(m => RunSecondaryAsync(m, modify, result, secondaryTimeout, secondaryRetries, ct)).ToArray();
        var primaryFailure = await primary;
        var secondaryFailures = await Task.WhenAll(secondaries);
        result.Primary = primaryFailure;
        result.Secondaries.AddRange(secondaryFailures.OfType<ImmediateFailure>());
        return result;
    }

    private static async Task<ImmediateFailure?> RunSecondaryAsync(
        LayoutMirror mirror, Func<LayoutMirror, CancellationToken, Task<MirrorWriteResult>> modify, ImmediateResult result, TimeSpan timeout, int retries, CancellationToken ct)
    {
        ImmediateFailure? failure = null;
        for (var attempt = 0; attempt <= Math.Max(0, retries); attempt++)
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(timeout);
            var run = RunOnceAsync(mirror, modify, result, budget.Token);
            try
            {
                // WaitAsync drops its timer when the run ends first (a Task.Delay per write would stay queued for the whole budget).
                failure = await run.WaitAsync(timeout, ct);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                // The budget ran out with calls still outstanding: they are cancelled; the mirror has failed.
                failure = new ImmediateFailure(mirror, new MirrorError(mirror.Id, Errno.ETIMEDOUT, $"mirror {mirror.Id}: no answer within {timeout.TotalMilliseconds} ms"), AllStripes(mirror));
                continue;
            }

            if (failure is null || failure.Error.Errno == Errno.ESTALE || ct.IsCancellationRequested)
            {
                return failure;
            }
        }

        return failure;
    }

    private static async Task<ImmediateFailure?> RunOnceAsync(
        LayoutMirror mirror, Func<LayoutMirror, CancellationToken, Task<MirrorWriteResult>> modify, ImmediateResult result, CancellationToken ct)
    {
        try
        {
            await FaultPoints.HitAsync(FaultPointPrefix + mirror.Id, ct);
            var r = await modify(mirror, ct);
            lock (result)
            {
                foreach (var (ost, ids) in r.MirrorsByOst)
                {
                    if (!result.MirrorsByOst.TryGetValue(ost, out var set))
                    {
                        result.MirrorsByOst[ost] = set = [];
                    }

                    set.UnionWith(ids);
                }
            }

            return r.Errors.For(mirror.Id) is { } error
                ? new ImmediateFailure(mirror, error, r.FailedStripes.TryGetValue(mirror.Id, out var stripes) && stripes.Count > 0 ? stripes : AllStripes(mirror))
                : null;
        }
        catch (Exception e)
        {
            return new ImmediateFailure(mirror, new MirrorError(mirror.Id, RpcErrors.ErrnoOf(e), e.Message), AllStripes(mirror));
        }
    }

    private static int[] AllStripes(LayoutMirror mirror) => Enumerable.Range(0, MirrorStripes.Count(mirror)).ToArray();
}
