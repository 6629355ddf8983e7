using Mirror.Core;
using Mirror.Core.Layouts;
using Mirror.Protocol.Ost;

namespace Mirror.Client.Targets;

/// <summary>
/// One OST as the client sees it (Lustre's osc): bulk and object calls, plus the commit bookkeeping IWM
/// needs ("is everything I wrote to this OST committed?"). <see cref="OstTarget"/> is the real one; tests
/// supply fakes.
/// </summary>
public interface IOstTarget
{
    int Index { get; }

    /// <summary>The highest transno this client got back from the OST (monotonic high-water mark).</summary>
    ulong HighestTransno { get; }

    /// <summary>The highest last_committed the OST reported (monotonic high-water mark).</summary>
    ulong LastCommitted { get; }

    Task<WriteReply> WriteAsync(ObjectId obj, ulong offset, ReadOnlyMemory<byte> data, uint layoutGeneration, bool sync, CancellationToken ct = default);

    Task<ReadReply> ReadAsync(ObjectId obj, ulong offset, uint length, uint layoutGeneration, CancellationToken ct = default);

    Task<ModifyReply> PunchAsync(ObjectId obj, ulong offset, ulong length, uint layoutGeneration, CancellationToken ct = default);

    Task<ModifyReply> FallocateAsync(ObjectId obj, ulong offset, ulong length, uint mode, uint layoutGeneration, CancellationToken ct = default);

    Task<ModifyReply> SetAttrAsync(ObjectId obj, ulong? size, DateTimeOffset? mtime, uint layoutGeneration, CancellationToken ct = default);

    Task<GetAttrReply> GetAttrAsync(ObjectId obj, CancellationToken ct = default);

    /// <summary>Commits everything outstanding on the OST; returns its last_committed.</summary>
    Task<ulong> SyncAsync(CancellationToken ct = default);

    Task<ModifyReply> DestroyFileAsync(Fid fid, CancellationToken ct = default);
}

/// <summary>The OST targets of a cluster, by OST index.</summary>
public interface IOstTargetSet
{
    IOstTarget Get(int ostIndex);
}

public static class OstTargetExtensions
{
    /// <summary>True when every write this client got a transno for is committed on the OST.</summary>
    public static bool AllCommitted(this IOstTarget target) => target.LastCommitted >= target.HighestTransno;

    /// <summary>Forces a commit only when something this client wrote is not yet committed.</summary>
    public static async Task SyncIfNeededAsync(this IOstTarget target, CancellationToken ct = default)
    {
        if (!target.AllCommitted())
        {
            await target.SyncAsync(ct);
        }
    }

    /// <summary>
    /// The stripe object of <paramref name="component"/> in file <paramref name="fid"/>: named by the file's FID
    /// and the component id, unless the component uses another file's objects (mds.proto Component.object_fid).
    /// </summary>
    public static ObjectId ObjectFor(Fid fid, LayoutComponent component, int stripeIndex) => new()
    {
        Fid = Mirror.Protocol.LayoutConversion.ToMsg(component.ObjectFid.IsZero ? fid : component.ObjectFid),
        ComponentId = component.ObjectComponentId != 0 ? component.ObjectComponentId : component.Id,
        StripeIndex = (uint)stripeIndex,
    };
}
