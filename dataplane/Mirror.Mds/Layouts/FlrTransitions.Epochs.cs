using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;

namespace Mirror.Mds.Layouts;

/// <summary>How an IWM epoch close turned out (IWM §2.2.4), for the changelog and the metrics.</summary>
public enum EpochCloseOutcome
{
    Clean,
    Error,
    Evicted,
}

/// <summary>The epoch transitions of IWM (§2.2.4, §2.2.5, §2.4.1), pure like the rest of the state machine.</summary>
public static partial class FlrTransitions
{
    /// <summary>Flags a user may set or clear by hand (SetMirrorFlags); INFLIGHT and STALE belong to the MDS.</summary>
    public const MirrorFlags SettableFlags = MirrorFlags.Immediate | MirrorFlags.Prefer | MirrorFlags.NoSync;

    /// <summary>An IWM file has at least two IMMEDIATE mirrors (IWM §1.2).</summary>
    public static bool IsIwmFile(FileLayout layout) => layout.Mirrors.Count(m => m.IsImmediate) >= 2;

    /// <summary>The write leader of an epoch: the readable IMMEDIATE mirror by <see cref="FileLayout.PrimaryMirror"/> rules (IWM §2.1.1).</summary>
    public static LayoutMirror? EpochPrimary(FileLayout layout) =>
        layout.Mirrors.Where(m => m.IsImmediate && m.IsReadable)
            .OrderByDescending(m => m.Flags.HasFlag(MirrorFlags.Prefer)).ThenBy(m => m.Id).FirstOrDefault();

    /// <summary>
    /// Epoch open, on the first AW CW grant (IWM §2.2.5, §2.4.1): WRITE_PENDING; the primary stays readable;
    /// every other IMMEDIATE non-STALE mirror turns INFLIGHT (written, never read); non-IMMEDIATE mirrors
    /// turn STALE (they miss these writes, §4.2). Flag-only: STATE_ONLY (§2.2.7.3).
    /// The outcome's mirror ids are the non-immediate mirrors this staled.
    /// </summary>
    public static FlrOutcome OpenEpoch(Fid fid, FileLayout layout)
    {
        if (!IsIwmFile(layout))
        {
            throw new MirrorException(Errno.EINVAL, $"{fid} is not an IWM file: it needs at least 2 IMMEDIATE mirrors");
        }

        var primary = EpochPrimary(layout)
            ?? throw new MirrorException(Errno.EIO, $"{fid} has no in-sync IMMEDIATE mirror to lead a write epoch; resync first");
        var staled = new List<uint>();
        var mirrors = layout.Mirrors.Select(m =>
        {
            if (m.Id == primary.Id || m.IsStale)
            {
                return m;
            }

            if (m.IsImmediate)
            {
                return m with { Flags = m.Flags | MirrorFlags.Inflight };
            }

            staled.Add(m.Id);
            return m with { Flags = (m.Flags | MirrorFlags.Stale) & ~MirrorFlags.Inflight };
        }).ToList();
        return new FlrOutcome(Next(layout, FlrState.WritePending, mirrors, stateOnly: true), staled);
    }

    /// <summary>
    /// Epoch close (IWM §2.2.4, §2.4.4): mirrors at an errored position → INFLIGHT cleared, STALE set (the
    /// primary too: clean secondaries are then the in-sync copies); a writer evicted → every mirror but the
    /// primary STALE; other INFLIGHT mirrors → clean. RDONLY when nothing is STALE, else WRITE_PENDING (a
    /// resync is due). The primary is the IMMEDIATE mirror without INFLIGHT or STALE (durable in the layout).
    /// The outcome's mirror ids are every mirror STALE after the close (what a resync must copy).
    /// </summary>
    public static (FlrOutcome Outcome, EpochCloseOutcome Kind) CloseEpoch(FileLayout layout, ushort errorPositions, bool evicted)
    {
        var primary = layout.Mirrors.FirstOrDefault(m => m.IsImmediate && m.IsReadable);
        var erroredAny = false;
        var mirrors = new List<LayoutMirror>(layout.Mirrors.Count);
        for (var position = 0; position < layout.Mirrors.Count; position++)
        {
            var m = layout.Mirrors[position];
            var errored = (errorPositions & (1 << position)) != 0;
            erroredAny |= errored && !m.IsStale;
            var stale = m.IsStale || errored || (evicted && m.Id != primary?.Id);
            var flags = m.Flags & ~MirrorFlags.Inflight;
            mirrors.Add(m with { Flags = stale ? flags | MirrorFlags.Stale : flags });
        }

        var state = mirrors.Any(m => m.IsStale) ? FlrState.WritePending : FlrState.ReadOnly;
        var kind = evicted ? EpochCloseOutcome.Evicted : erroredAny ? EpochCloseOutcome.Error : EpochCloseOutcome.Clean;
        var staleIds = mirrors.Where(m => m.IsStale).Select(m => (uint)m.Id).ToList();
        return (new FlrOutcome(Next(layout, state, mirrors, stateOnly: true), staleIds), kind);
    }

    /// <summary>
    /// SetMirrorFlags: IMMEDIATE, PREFER and NOSYNC may be set or cleared by hand; INFLIGHT and STALE cannot
    /// (EINVAL). A flag-only change: STATE_ONLY (§2.2.7.3). No change at all: unchanged.
    /// </summary>
    public static FlrOutcome SetMirrorFlags(Fid fid, FileLayout layout, ushort mirrorId, MirrorFlags set, MirrorFlags clear)
    {
        var forbidden = (set | clear) & ~SettableFlags;
        if (forbidden != MirrorFlags.None)
        {
            throw new MirrorException(Errno.EINVAL,
                $"mirror flags {MirrorFlagNames.Format(forbidden)} cannot be set or cleared by hand (only {MirrorFlagNames.Format(SettableFlags)})");
        }

        if ((set & clear) != MirrorFlags.None)
        {
            throw new MirrorException(Errno.EINVAL, $"mirror flags {MirrorFlagNames.Format(set & clear)} are both set and cleared");
        }

        var mirror = layout.Mirror(mirrorId) ?? throw new MirrorException(Errno.EINVAL, $"no mirror {mirrorId} in {fid}");
        var flags = (mirror.Flags | set) & ~clear;
        if (flags == mirror.Flags)
        {
            return FlrOutcome.Unchanged;
        }

        var mirrors = layout.Mirrors.Select(m => m.Id == mirrorId ? m with { Flags = flags } : m).ToList();
        var next = Next(layout, layout.State, mirrors, stateOnly: true);
        LayoutRules.Validate(next);
        return new FlrOutcome(next, [mirrorId]);
    }
}
