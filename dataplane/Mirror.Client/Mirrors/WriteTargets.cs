using Mirror.Core.Errors;
using Mirror.Core.Layouts;

namespace Mirror.Client.Mirrors;

/// <summary>
/// The single decision point for which mirrors a modification goes to. Delayed-write FLR
/// (flr-overview "Synchronization Model", IWM §1.1): after the write intent, only the primary mirror
/// (the one not STALE/INFLIGHT, PREFER first). Immediate Write Mirroring will widen this to every
/// IMMEDIATE, non-STALE mirror under the Active-Writer lock.
/// </summary>
public static class WriteTargets
{
    public static IReadOnlyList<LayoutMirror> For(FileLayout layout) =>
        layout.PrimaryMirror() is { } primary
            ? [primary]
            : throw new MirrorException(Errno.EIO, "no in-sync mirror to write to (every mirror is stale or inflight)");
}
