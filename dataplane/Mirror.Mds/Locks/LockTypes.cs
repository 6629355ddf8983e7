using Mirror.Core;

namespace Mirror.Mds.Locks;

/// <summary>Inode bits of a file's lock resource (mds.proto LockBit; IWM §2.2.1, §2.2.7).</summary>
[Flags]
public enum LockBits : uint
{
    None = 0,

    /// <summary>Protects a client's cached layout; its callback is light (drop the layout, cancel, no flush).</summary>
    Layout = 1,

    /// <summary>The Active-Writer bit: CW = "writing this IWM file", EX = the MDS closing the epoch.</summary>
    ActiveWriters = 2,
}

/// <summary>Lock modes (mds.proto LockMode values).</summary>
public enum LockMode
{
    None = 0,
    CR = 1,
    CW = 2,
    EX = 3,
}

/// <summary>Where a lock is in its life.</summary>
public enum LockState
{
    Waiting,
    Granted,
    Released,
}

/// <summary>The per-bit compatibility matrix of the protocol: CR~CR, CR~CW, CW~CW; EX conflicts with everything.</summary>
public static class LockCompatibility
{
    public static bool Compatible(LockMode a, LockMode b) => a != LockMode.EX && b != LockMode.EX;

    /// <summary>Two locks conflict when they share a bit and their modes are incompatible.</summary>
    public static bool Conflicts(LockBits bitsA, LockMode a, LockBits bitsB, LockMode b) =>
        (bitsA & bitsB) != LockBits.None && !Compatible(a, b);
}

/// <summary>
/// One lock on one file. <see cref="ClientId"/> 0 = the MDS itself (forced close, fold-up, admin layout
/// changes): it never gets a callback and is released by the code that took it.
/// </summary>
public sealed class MdsLock
{
    public const ulong MdsClient = 0;

    internal MdsLock(ulong handle, Fid fid, ulong clientId, LockBits bits, LockMode mode)
    {
        Handle = handle;
        Fid = fid;
        ClientId = clientId;
        Bits = bits;
        Mode = mode;
    }

    public ulong Handle { get; }

    public Fid Fid { get; }

    public ulong ClientId { get; }

    public LockBits Bits { get; }

    public LockMode Mode { get; }

    /// <summary>Guarded by the lock manager's gate.</summary>
    public LockState State { get; internal set; }

    /// <summary>When the blocking callback was sent (clock ns); null = not asked to cancel.</summary>
    public long? CallbackSentNs { get; internal set; }

    /// <summary>The waiter's grant: completes with the lock, or fails (eviction, shutdown).</summary>
    internal TaskCompletionSource<MdsLock> Grant { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override string ToString() => $"lock {Handle} {Bits} {Mode} on {Fid} by client {ClientId}";
}

/// <summary>The blocking callback the lock manager wants delivered to a holder (IWM §2.2.6).</summary>
public sealed record BlockingCallback(MdsLock Lock, LockMode BlockingMode)
{
    /// <summary>Its number in the holder's callback sequence (mds.proto LockCallback.callback_seq), set when queued.</summary>
    public ulong Seq { get; init; }
}
