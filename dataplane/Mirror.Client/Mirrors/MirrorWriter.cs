using Mirror.Client.Targets;
using Mirror.Core;
using Mirror.Core.Layouts;

namespace Mirror.Client.Mirrors;

/// <summary>What a fanned-out modification did: per-mirror errors and the OSTs it touched (for fsync and commit tracking).</summary>
public sealed class MirrorWriteResult
{
    public MirrorErrorReport Errors { get; } = new();

    public HashSet<int> OstsTouched { get; } = [];

    /// <summary>
    /// Per mirror id: the stripes whose calls failed, numbered across the mirror's components in layout
    /// order (<see cref="MirrorStripes"/>), for the per-stripe LVB of IWM §3.1.
    /// </summary>
    public Dictionary<ushort, SortedSet<int>> FailedStripes { get; } = [];

    /// <summary>Per OST: the mirror ids that touched it (a failed OST Sync is an error on each, IWM §2.2.2).</summary>
    public Dictionary<int, HashSet<ushort>> MirrorsByOst { get; } = [];
}

/// <summary>
/// Applies a modification to a set of mirrors, each through its own geometry, all pieces in parallel
/// (IWM §2.3.1 heterogeneous fan-out, §2.3.2.2 sub-io fan-out). Which mirrors is the caller's one
/// decision (<see cref="WriteTargets"/>); errors are collected per mirror, never dropped.
/// </summary>
public sealed class MirrorWriter(IOstTargetSet targets)
{
    public async Task<MirrorWriteResult> WriteAsync(Fid fid, uint generation, IReadOnlyList<LayoutMirror> mirrors, ulong offset, ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        var result = new MirrorWriteResult();
        await ForEachMirrorAsync(mirrors, result, (mirror, osts) =>
        {
            var tasks = new List<PieceCall>();
            foreach (var piece in MirrorMapping.Pieces(mirror, offset, data.Length))
            {
                osts.Add(piece.OstIndex);
                var slice = data.Slice((int)(piece.FileOffset - offset), piece.Length);
                var obj = OstTargetExtensions.ObjectFor(fid, piece.Component, piece.StripeIndex);
                tasks.Add(new(targets.Get(piece.OstIndex).WriteAsync(obj, piece.ObjectOffset, slice, generation, sync: false, ct), piece.Component, piece.StripeIndex));
            }

            return tasks;
        });
        return result;
    }

    /// <summary>Sets every stripe object of each mirror to its size for a file of <paramref name="fileSize"/> bytes (truncate).</summary>
    public async Task<MirrorWriteResult> TruncateAsync(Fid fid, uint generation, IReadOnlyList<LayoutMirror> mirrors, ulong fileSize, CancellationToken ct = default)
    {
        var result = new MirrorWriteResult();
        await ForEachMirrorAsync(mirrors, result, (mirror, osts) =>
        {
            var tasks = new List<PieceCall>();
            foreach (var (component, stripe, objectSize) in MirrorMapping.ObjectSizes(mirror, fileSize))
            {
                var ost = component.Osts[stripe];
                osts.Add(ost);
                var obj = OstTargetExtensions.ObjectFor(fid, component, stripe);
                tasks.Add(new(targets.Get(ost).SetAttrAsync(obj, objectSize, null, generation, ct), component, stripe));
            }

            return tasks;
        });
        return result;
    }

    /// <summary>Punches [offset, offset+length) out of each mirror (FALLOC_FL_PUNCH_HOLE fan-out).</summary>
    public async Task<MirrorWriteResult> PunchAsync(Fid fid, uint generation, IReadOnlyList<LayoutMirror> mirrors, ulong offset, long length, CancellationToken ct = default)
    {
        var result = new MirrorWriteResult();
        await ForEachMirrorAsync(mirrors, result, (mirror, osts) =>
        {
            var tasks = new List<PieceCall>();
            foreach (var piece in MirrorMapping.Pieces(mirror, offset, length, int.MaxValue))
            {
                osts.Add(piece.OstIndex);
                var obj = OstTargetExtensions.ObjectFor(fid, piece.Component, piece.StripeIndex);
                tasks.Add(new(targets.Get(piece.OstIndex).PunchAsync(obj, piece.ObjectOffset, (ulong)piece.Length, generation, ct), piece.Component, piece.StripeIndex));
            }

            return tasks;
        });
        return result;
    }

    /// <summary>Preallocates (FALLOC_FL_* <paramref name="mode"/>) [offset, offset+length) on each mirror (IWM §2.3.2.1 fallocate fan-out).</summary>
    public async Task<MirrorWriteResult> FallocateAsync(Fid fid, uint generation, IReadOnlyList<LayoutMirror> mirrors, ulong offset, long length, uint mode, CancellationToken ct = default)
    {
        var result = new MirrorWriteResult();
        await ForEachMirrorAsync(mirrors, result, (mirror, osts) =>
        {
            var tasks = new List<PieceCall>();
            foreach (var piece in MirrorMapping.Pieces(mirror, offset, length, int.MaxValue))
            {
                osts.Add(piece.OstIndex);
                var obj = OstTargetExtensions.ObjectFor(fid, piece.Component, piece.StripeIndex);
                tasks.Add(new(targets.Get(piece.OstIndex).FallocateAsync(obj, piece.ObjectOffset, (ulong)piece.Length, mode, generation, ct), piece.Component, piece.StripeIndex));
            }

            return tasks;
        });
        return result;
    }

    /// <summary>Sets the mtime of every stripe object of each mirror (IWM §2.3.2.1 time setattr).</summary>
    public async Task<MirrorWriteResult> SetMtimeAsync(Fid fid, uint generation, IReadOnlyList<LayoutMirror> mirrors, DateTimeOffset mtime, CancellationToken ct = default)
    {
        var result = new MirrorWriteResult();
        await ForEachMirrorAsync(mirrors, result, (mirror, osts) =>
        {
            var tasks = new List<PieceCall>();
            foreach (var component in mirror.Components)
            {
                for (var stripe = 0; stripe < component.Osts.Count; stripe++)
                {
                    var ost = component.Osts[stripe];
                    osts.Add(ost);
                    var obj = OstTargetExtensions.ObjectFor(fid, component, stripe);
                    tasks.Add(new(targets.Get(ost).SetAttrAsync(obj, null, mtime, generation, ct), component, stripe));
                }
            }

            return tasks;
        });
        return result;
    }

    private static async Task ForEachMirrorAsync(IReadOnlyList<LayoutMirror> mirrors, MirrorWriteResult result, Func<LayoutMirror, HashSet<int>, List<PieceCall>> start)
    {
        var perMirror = new Task[mirrors.Count];
        for (var i = 0; i < mirrors.Count; i++)
        {
            perMirror[i] = RunMirrorAsync(mirrors[i], result, start);
        }

        await Task.WhenAll(perMirror);
    }

    private static async Task RunMirrorAsync(LayoutMirror mirror, MirrorWriteResult result, Func<LayoutMirror, HashSet<int>, List<PieceCall>> start)
    {
        var osts = new HashSet<int>();
        List<PieceCall> calls = [];
        try
        {
            calls = start(mirror, osts);
            await Task.WhenAll(calls.Select(c => c.Call));
        }
        catch (Exception e)
        {
            result.Errors.Add(mirror.Id, e is AggregateException { InnerException: { } inner } ? inner : e);
        }
        finally
        {
            lock (result)
            {
                result.OstsTouched.UnionWith(osts);
                foreach (var ost in osts)
                {
                    if (!result.MirrorsByOst.TryGetValue(ost, out var ids))
                    {
                        result.MirrorsByOst[ost] = ids = [];
                    }

                    ids.Add(mirror.Id);
                }

                foreach (var failed in calls.Where(c => c.Call.IsFaulted || c.Call.IsCanceled))
                {
                    if (!result.FailedStripes.TryGetValue(mirror.Id, out var stripes))
                    {
                        result.FailedStripes[mirror.Id] = stripes = [];
                    }

                    stripes.Add(MirrorStripes.Index(mirror, failed.Component, failed.Stripe));
                }
            }
        }
    }

    /// <summary>One OST call of a fan-out and the stripe it addresses.</summary>
    private readonly record struct PieceCall(Task Call, LayoutComponent Component, int Stripe);
}
