using System.Collections.Concurrent;
using Mirror.Client.Metadata;
using Mirror.Core.Errors;

namespace Mirror.Client.Mirrors;

/// <summary>One mirror's failure in a fanned-out operation.</summary>
public sealed record MirrorError(ushort MirrorId, Errno Errno, string Message);

/// <summary>
/// Per-mirror errors of an operation, collected rather than thrown away: delayed-write FLR fails the
/// operation when its only target fails; IWM (§2.3.3.1) reports secondary errors to the MDS instead.
/// Thread-safe; the first error of each mirror is kept.
/// </summary>
public sealed class MirrorErrorReport
{
    // Created on the first error: most operations have none, and every fanned-out write makes a report.
    private ConcurrentDictionary<ushort, MirrorError>? errors;

    public bool IsEmpty => Volatile.Read(ref errors) is not { } e || e.IsEmpty;

    public IReadOnlyCollection<MirrorError> Errors => Volatile.Read(ref errors) is { } e ? e.Values.OrderBy(x => x.MirrorId).ToArray() : [];

    public MirrorError? For(ushort mirrorId) => Volatile.Read(ref errors)?.GetValueOrDefault(mirrorId);

    public void Add(ushort mirrorId, Exception e) =>
        Table().TryAdd(mirrorId, new MirrorError(mirrorId, RpcErrors.ErrnoOf(e), e.Message));

    public void Merge(MirrorErrorReport other)
    {
        if (Volatile.Read(ref other.errors) is not { } theirs)
        {
            return;
        }

        foreach (var e in theirs.Values)
        {
            Table().TryAdd(e.MirrorId, e);
        }
    }

    private ConcurrentDictionary<ushort, MirrorError> Table() =>
        Volatile.Read(ref errors) ?? Interlocked.CompareExchange(ref errors, new(), null) ?? errors!;
}
