using Mirror.Client.Targets;
using Mirror.Core;
using Mirror.Core.Layouts;

namespace Mirror.Client.Mirrors;

/// <summary>What a fanned-out modification did: per-mirror errors and the OSTs it touched (for fsync and commit tracking).</summary>
public sealed class MirrorWriteResult
{
    public MirrorErrorReport Errors { get; } = new();

    public HashSet<int> OstsTouched { get; } = [];
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
            var tasks = new List<Task>();
            foreach (var piece in MirrorMapping.Pieces(mirror, offset, data.Length))
            {
                osts.Add(piece.OstIndex);
                var slice = data.Slice((int)(piece.FileOffset - offset), piece.Length);
                var obj = OstTargetExtensions.ObjectFor(fid, piece.Component, piece.StripeIndex);
                tasks.Add(targets.Get(piece.OstIndex).WriteAsync(obj, piece.ObjectOffset, slice, generation, sync: false, ct));
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
            var tasks = new List<Task>();
            foreach (var (component, stripe, objectSize) in MirrorMapping.ObjectSizes(mirror, fileSize))
            {
                var ost = component.Osts[stripe];
                osts.Add(ost);
                var obj = OstTargetExtensions.ObjectFor(fid, component, stripe);
                tasks.Add(targets.Get(ost).SetAttrAsync(obj, objectSize, null, generation, ct));
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
            var tasks = new List<Task>();
            foreach (var piece in MirrorMapping.Pieces(mirror, offset, length, int.MaxValue))
            {
                osts.Add(piece.OstIndex);
                var obj = OstTargetExtensions.ObjectFor(fid, piece.Component, piece.StripeIndex);
                tasks.Add(targets.Get(piece.OstIndex).PunchAsync(obj, piece.ObjectOffset, (ulong)piece.Length, generation, ct));
            }

            return tasks;
        });
        return result;
    }

    private static async Task ForEachMirrorAsync(IReadOnlyList<LayoutMirror> mirrors, MirrorWriteResult result, Func<LayoutMirror, HashSet<int>, List<Task>> start)
    {
        var perMirror = new Task[mirrors.Count];
        for (var i = 0; i < mirrors.Count; i++)
        {
            perMirror[i] = RunMirrorAsync(mirrors[i], result, start);
        }

        await Task.WhenAll(perMirror);
    }

    private static async Task RunMirrorAsync(LayoutMirror mirror, MirrorWriteResult result, Func<LayoutMirror, HashSet<int>, List<Task>> start)
    {
        var osts = new HashSet<int>();
        try
        {
            await Task.WhenAll(start(mirror, osts));
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
            }
        }
    }
}
