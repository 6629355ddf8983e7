using System.Threading.Channels;
using Mirror.Mds.Locks;

namespace Mirror.Mds.Clients;

/// <summary>
/// A connected client (Lustre export): its id, whether it speaks IWM, when it was last heard from (lease),
/// and the queue of blocking callbacks its Callbacks stream delivers. Mutable fields are guarded by the
/// registry's gate.
/// </summary>
public sealed class ClientSession
{
    internal ClientSession(string uuid, ulong clientId, bool iwmAware, long nowNs)
    {
        Uuid = uuid;
        ClientId = clientId;
        IwmAware = iwmAware;
        LastSeenNs = nowNs;
    }

    public string Uuid { get; }

    public ulong ClientId { get; }

    /// <summary>Connected with iwm_aware (OBD_CONNECT2_FLR_IMMED_MIRROR); others get fold-up (IWM §2.4.6).</summary>
    public bool IwmAware { get; }

    public long LastSeenNs { get; internal set; }

    public bool Evicted { get; internal set; }

    /// <summary>Set by LockReplay during recovery (IWM §2.2.5).</summary>
    public bool Replayed { get; internal set; }

    /// <summary>The number of the last callback queued to this client (mds.proto LockCallback.callback_seq); guarded by the registry's gate.</summary>
    internal ulong CallbackSeq { get; set; }

    /// <summary>The number of the last callback a Callbacks stream took from the queue (sent, or lost with that stream).</summary>
    internal ulong TakenSeq { get; set; }

    /// <summary>Blocking callbacks waiting for the Callbacks stream; completed at eviction.</summary>
    internal Channel<BlockingCallback> Callbacks { get; } = Channel.CreateUnbounded<BlockingCallback>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>The open Callbacks stream, cancelled when a newer stream of the same client replaces it.</summary>
    internal CancellationTokenSource? Stream { get; set; }
}

/// <summary>What Connect answers (mds.proto ConnectReply).</summary>
public sealed record ConnectResult(ulong ClientId, bool Reconnected, bool Recovering);
