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
    private readonly ConcurrentDictionary<ushort, MirrorError> errors = new();

    public bool IsEmpty => errors.IsEmpty;

    public IReadOnlyCollection<MirrorError> Errors => errors.Values.OrderBy(e => e.MirrorId).ToArray();

    public MirrorError? For(ushort mirrorId) => errors.GetValueOrDefault(mirrorId);

    public void Add(ushort mirrorId, Exception e) =>
        errors.TryAdd(mirrorId, new MirrorError(mirrorId, RpcErrors.ErrnoOf(e), e.Message));

    public void Merge(MirrorErrorReport other)
    {
        foreach (var e in other.errors.Values)
        {
            errors.TryAdd(e.MirrorId, e);
        }
    }
}
