namespace Mirror.Mds.Layouts;

/// <summary>A registered OST as the registry stores it (RegisterOst upserts it; it is also the heartbeat).</summary>
public sealed record OstRecord(
    uint Index,
    string Address,
    string Pool,
    IReadOnlyList<string> Labels,
    string FailureDomain,
    ulong TotalBytes,
    ulong FreeBytes,
    string Uuid,
    long LastSeenNs);

/// <summary>One stripe object waiting to be destroyed on its OST (its file or mirror is gone).</summary>
public sealed record OrphanObject(long Id, ObjectRef Object, int Stripe, int Ost);
