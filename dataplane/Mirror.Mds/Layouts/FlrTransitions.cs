using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;

namespace Mirror.Mds.Layouts;

/// <summary>The result of a transition: the new layout (null = nothing changed) and the mirrors it staled.</summary>
public sealed record FlrOutcome(FileLayout? Changed, IReadOnlyList<uint> MirrorIds)
{
    public static readonly FlrOutcome Unchanged = new(null, []);
}

/// <summary>
/// The FLR state machine (flr-overview; IWM §1.1 "FLR today"), as pure functions from layout to layout.
/// Every change bumps the generation (invariant 7); flag-only changes are STATE_ONLY (IWM §2.2.7.3).
/// This is the one place FLR state moves, so IWM epochs (INFLIGHT, epoch close) extend it here.
/// <code>
///   RDONLY ──write intent──▶ WRITE_PENDING ──resync intent──▶ SYNC_PENDING ──ResyncDone──▶ RDONLY
///     ▲  (stale mirrors)         ▲                                │ write intent
///     └──────resync intent───────┼────────────────────────────────┘ (resync aborts: ESTALE)
/// </code>
/// </summary>
public static partial class FlrTransitions
{
    /// <summary>
    /// The first write of an open on a mirrored file (delayed write): the primary stays readable, every other
    /// mirror turns STALE, the file goes WRITE_PENDING. Already WRITE_PENDING: nothing to do. SYNC_PENDING:
    /// back to WRITE_PENDING, so the running resync's ResyncDone fails (the generation moved).
    /// </summary>
    public static FlrOutcome WriteIntent(Fid fid, FileLayout layout)
    {
        if (!layout.IsMirrored || layout.State == FlrState.WritePending)
        {
            return FlrOutcome.Unchanged;
        }

        var primary = layout.PrimaryMirror()
            ?? throw new MirrorException(Errno.EIO, $"{fid} has no in-sync mirror to write to; every mirror is stale");
        var staled = layout.Mirrors.Where(m => m.Id != primary.Id && !m.IsStale).Select(m => (uint)m.Id).ToList();
        var mirrors = layout.Mirrors.Select(m => m.Id == primary.Id ? m : m with { Flags = m.Flags | MirrorFlags.Stale }).ToList();
        return new FlrOutcome(Next(layout, FlrState.WritePending, mirrors, stateOnly: true), staled);
    }

    /// <summary>Start a resync: WRITE_PENDING, or RDONLY with stale mirrors → SYNC_PENDING. Nothing stale: nothing to do.</summary>
    public static FlrOutcome ResyncStart(FileLayout layout)
    {
        var stale = layout.Mirrors.Where(m => m.IsStale).Select(m => (uint)m.Id).ToList();
        if (stale.Count == 0 || layout.State == FlrState.SyncPending)
        {
            return FlrOutcome.Unchanged;
        }

        return new FlrOutcome(Next(layout, FlrState.SyncPending, layout.Mirrors, stateOnly: true), stale);
    }

    /// <summary>
    /// A resync finished copying at <paramref name="generation"/>: the synced mirrors are clean again and the
    /// file returns to RDONLY (mirrors not synced stay STALE for a later resync).
    /// </summary>
    public static FlrOutcome ResyncDone(Fid fid, FileLayout layout, uint generation, IReadOnlyCollection<uint> synced)
    {
        if (generation != layout.Generation)
        {
            throw new MirrorException(Errno.ESTALE,
                $"file changed during resync: {fid} is at layout generation {layout.Generation}, the resync started at {generation}");
        }

        foreach (var id in synced)
        {
            if (layout.Mirror((ushort)id) is null)
            {
                throw new MirrorException(Errno.EINVAL, $"no mirror {id} in {fid}");
            }
        }

        if (layout.State != FlrState.SyncPending)
        {
            if (!layout.Mirrors.Any(m => m.IsStale))
            {
                return FlrOutcome.Unchanged;
            }

            throw new MirrorException(Errno.EINVAL, $"{fid} has no resync in progress (state {FlrStateNames.Short(layout.State)})");
        }

        var cleared = layout.Mirrors.Where(m => m.IsStale && synced.Contains(m.Id)).Select(m => (uint)m.Id).ToList();
        var mirrors = layout.Mirrors.Select(m => synced.Contains(m.Id) ? m with { Flags = m.Flags & ~MirrorFlags.Stale } : m).ToList();
        return new FlrOutcome(Next(layout, FlrState.ReadOnly, mirrors, stateOnly: true), cleared);
    }

    /// <summary>Mirror extend: the new mirrors are appended (they arrive STALE unless their data is known equal).</summary>
    public static FileLayout AddMirrors(FileLayout layout, IReadOnlyList<LayoutMirror> added)
    {
        var mirrors = layout.Mirrors.Concat(added).ToList();
        var next = Next(layout, layout.State, mirrors, stateOnly: false);
        LayoutRules.Validate(next);
        return next;
    }

    /// <summary>
    /// Mirror split: removes one mirror. The last mirror and the last in-sync mirror cannot go. A file left
    /// without stale mirrors is RDONLY.
    /// </summary>
    public static FileLayout RemoveMirror(Fid fid, FileLayout layout, ushort mirrorId)
    {
        var victim = layout.Mirror(mirrorId) ?? throw new MirrorException(Errno.EINVAL, $"no mirror {mirrorId} in {fid}");
        if (layout.Mirrors.Count == 1)
        {
            throw new MirrorException(Errno.EINVAL, $"mirror {mirrorId} is the last mirror of {fid}; it cannot be split off");
        }

        if (!victim.IsStale && layout.Mirrors.Count(m => !m.IsStale) == 1)
        {
            throw new MirrorException(Errno.EINVAL, $"mirror {mirrorId} is the last in-sync mirror of {fid}; resync another mirror first");
        }

        var mirrors = layout.Mirrors.Where(m => m.Id != mirrorId).ToList();
        var state = mirrors.Any(m => m.IsStale) && mirrors.Count > 1 ? layout.State : FlrState.ReadOnly;
        return Next(layout, state, mirrors, stateOnly: false);
    }

    /// <summary>A whole new layout for a file (swap layouts) at a generation above both old ones.</summary>
    public static FileLayout Replace(FileLayout incoming, uint generation) =>
        incoming with { Generation = generation, StateOnlyChange = false };

    private static FileLayout Next(FileLayout layout, FlrState state, IReadOnlyList<LayoutMirror> mirrors, bool stateOnly) =>
        layout with
        {
            Generation = checked(layout.Generation + 1),
            State = state,
            Mirrors = mirrors,
            StateOnlyChange = stateOnly,
        };
}
