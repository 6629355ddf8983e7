using Mirror.Client.Locks;
using Mirror.Client.Targets;

namespace Mirror.Client.Files;

/// <summary>
/// What one handle wrote since its last fsync, for the commit fsync must confirm: per OST the commit
/// watermarks and the mirrors written there (delayed-write FLR or IWM), the IWM mirrors that failed a
/// modification, and the AW locks (epochs) the IWM writes ran under. Guarded by the handle's lock.
/// </summary>
internal sealed class HandleWrites
{
    public Dictionary<int, OstWrites> Osts { get; } = [];

    /// <summary>IMMEDIATE mirrors this handle's fanned-out modifications reached (primary or secondary).</summary>
    public HashSet<ushort> ImmediateMirrors { get; } = [];

    /// <summary>IMMEDIATE mirrors a modification of this handle failed on (already in the epoch's error report).</summary>
    public HashSet<ushort> FailedMirrors { get; } = [];

    public HashSet<ActiveWriterLock> Epochs { get; } = [];

    public bool IsEmpty => Osts.Count == 0;

    public void Add(int ost, IOstTarget target, IEnumerable<ushort> mirrors, bool immediate)
    {
        if (!Osts.TryGetValue(ost, out var entry))
        {
            Osts[ost] = entry = new OstWrites();
        }

        entry.Marks.Add(target);
        entry.Mirrors.UnionWith(mirrors);
        entry.Delayed |= !immediate;
    }

    internal sealed class OstWrites
    {
        public CommitMarks Marks { get; } = new();

        public HashSet<ushort> Mirrors { get; } = [];

        /// <summary>Written by delayed-write FLR (one target mirror): a commit failure there is the application's error.</summary>
        public bool Delayed { get; set; }
    }
}
