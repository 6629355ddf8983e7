using Mirror.Core.Errors;
using Mirror.Core.Layouts;

namespace Mirror.Client.Mirrors;

/// <summary>The mirrors an Immediate Write Mirroring modification goes to: the primary (write leader) first, then the secondaries.</summary>
public sealed record ImmediateTargets(LayoutMirror Primary, IReadOnlyList<LayoutMirror> Secondaries)
{
    public IEnumerable<LayoutMirror> All => Secondaries.Prepend(Primary);
}

/// <summary>
/// The single decision point for which mirrors a modification goes to. Delayed-write FLR
/// (flr-overview "Synchronization Model", IWM §1.1): after the write intent, only the primary mirror
/// (the one not STALE/INFLIGHT, PREFER first). Immediate Write Mirroring (IWM §2.1, §4.2): under the
/// Active-Writer lock, the primary and every IMMEDIATE mirror that is not STALE (INFLIGHT included).
/// </summary>
public static class WriteTargets
{
    public static IReadOnlyList<LayoutMirror> For(FileLayout layout) =>
        layout.PrimaryMirror() is { } primary
            ? [primary]
            : throw new MirrorException(Errno.EIO, "no in-sync mirror to write to (every mirror is stale or inflight)");

    /// <summary>An IWM file: at least two IMMEDIATE mirrors (IWM §1.2).</summary>
    public static bool IsImmediate(FileLayout layout) => layout.Mirrors.Count(m => m.IsImmediate) >= 2;

    /// <summary>
    /// IWM §2.1.1: the primary is the readable IMMEDIATE mirror (PREFER first, then lowest id), the MDS's
    /// FileLayout.PrimaryMirror rule restricted to IMMEDIATE mirrors; secondaries are the other IMMEDIATE
    /// mirrors that are not STALE (INFLIGHT after the epoch opened). Never a STALE mirror (invariant 3).
    /// </summary>
    public static ImmediateTargets ForImmediate(FileLayout layout)
    {
        var primary = layout.Mirrors
            .Where(m => m.IsImmediate && m.IsReadable)
            .OrderByDescending(m => m.Flags.HasFlag(MirrorFlags.Prefer)).ThenBy(m => m.Id)
            .FirstOrDefault()
            ?? throw new MirrorException(Errno.EIO, "no in-sync immediate mirror to lead the write (every immediate mirror is stale or inflight)");
        var secondaries = layout.Mirrors.Where(m => m.Id != primary.Id && m.IsImmediate && !m.IsStale).ToArray();
        return new ImmediateTargets(primary, secondaries);
    }
}
