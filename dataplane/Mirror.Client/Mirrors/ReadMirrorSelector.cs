using System.Collections.Concurrent;
using Mirror.Core;
using Mirror.Core.Layouts;

namespace Mirror.Client.Mirrors;

/// <summary>
/// Picks the order in which mirrors are tried for a read (flr-overview: reads fail over between
/// mirrors). Only readable mirrors are candidates: never STALE, never INFLIGHT (ARCHITECTURE §4
/// invariants 1 and 3). PREFER mirrors first, then by id; a mirror that failed recently goes to the
/// back of the line for <see cref="Penalty"/> so the next reads do not wait on the same dead OST.
/// Thread-safe.
/// </summary>
public sealed class ReadMirrorSelector
{
    private readonly ConcurrentDictionary<(Fid Fid, ushort MirrorId), DateTimeOffset> failedUntil = new();
    private readonly TimeProvider time;

    public ReadMirrorSelector(TimeProvider? time = null, TimeSpan? penalty = null)
    {
        this.time = time ?? TimeProvider.System;
        Penalty = penalty ?? TimeSpan.FromSeconds(30);
    }

    public TimeSpan Penalty { get; }

    public IReadOnlyList<LayoutMirror> Candidates(Fid fid, FileLayout layout)
    {
        var now = time.GetUtcNow();
        return layout.Mirrors
            .Where(m => m.IsReadable)
            .OrderBy(m => failedUntil.TryGetValue((fid, m.Id), out var until) && until > now ? until : DateTimeOffset.MinValue)
            .ThenByDescending(m => m.Flags.HasFlag(MirrorFlags.Prefer))
            .ThenBy(m => m.Id)
            .ToArray();
    }

    public void ReportFailure(Fid fid, ushort mirrorId) => failedUntil[(fid, mirrorId)] = time.GetUtcNow() + Penalty;

    public void ReportSuccess(Fid fid, ushort mirrorId) => failedUntil.TryRemove((fid, mirrorId), out _);
}
