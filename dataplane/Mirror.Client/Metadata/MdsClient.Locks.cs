using Mirror.Core;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;

namespace Mirror.Client.Metadata;

/// <summary>What an MDS lock grant gave: the handle, the layout at grant time (with INFLIGHT secondaries after an epoch open) and, for AW, the epoch.</summary>
public sealed record LockGrant(ulong Handle, LayoutResult? Layout, ulong EpochId);

/// <summary>IWM §2.2 lock, lease and epoch calls (mds.proto "Immediate Write Mirroring").</summary>
public sealed partial class MdsClient
{
    /// <summary>The uuid this client connected with; a reconnect (eviction, MDS restart) reuses it (IWM §2.2.5).</summary>
    public string ClientUuid { get; private set; } = "";

    public bool IwmAware { get; private set; }

    /// <summary>The MDS's client lease (0 = not told); the lease keeper pings every third of it.</summary>
    public uint LeaseMs { get; private set; }

    /// <summary>Connects again with the same uuid, after an eviction or an MDS restart.</summary>
    public Task<ConnectReply> ReconnectAsync(CancellationToken ct = default) => ConnectAsync(ClientUuid, IwmAware, ct);

    /// <summary>
    /// LockEnqueue: <paramref name="bits"/> in <paramref name="mode"/>; may wait while the MDS calls back conflicting
    /// holders. Not retried here (a retry would take a second lock); its callers retry a whole acquisition.
    /// </summary>
    public async Task<LockGrant> LockEnqueueAsync(Fid fid, LockBit bits, LockMode mode, LayoutIntentOp intent = LayoutIntentOp.IntentNone, CancellationToken ct = default)
    {
        var reply = await ModifyAsync<LockEnqueueRequest, LockEnqueueReply>(
            MdsMethods.LockEnqueue,
            new LockEnqueueRequest { Fid = fid.ToMsg(), ClientId = ClientId, Bits = (uint)bits, Mode = mode, Intent = intent },
            ct);
        LayoutResult? layout = reply.Layout is { Mirrors.Count: > 0 } l && reply.Attr is not null
            ? new LayoutResult(FileAttr.FromMsg(reply.Attr), l.ToModel())
            : null;
        return new LockGrant(reply.LockHandle, layout, reply.EpochId);
    }

    /// <summary>LockCancel, with the AW lock's mirror error report (IWM §2.2.3) as the LVB.</summary>
    public Task LockCancelAsync(ulong handle, ReadOnlyMemory<byte> lvb = default, CancellationToken ct = default) =>
        ModifyAsync<LockCancelRequest, Empty>(
            MdsMethods.LockCancel,
            new LockCancelRequest { ClientId = ClientId, LockHandle = handle, Lvb = Google.Protobuf.ByteString.CopyFrom(lvb.Span) },
            ct);

    /// <summary>Lease renewal: not retried (the lease keeper pings again).</summary>
    public Task<PingReply> PingAsync(CancellationToken ct = default) =>
        ModifyAsync<PingRequest, PingReply>(MdsMethods.Ping, new PingRequest { ClientId = ClientId }, ct);

    /// <summary>The Callbacks stream: blocking callbacks for this client's locks, until the MDS or <paramref name="ct"/> ends it.</summary>
    public IAsyncEnumerable<LockCallback> CallbacksAsync(CancellationToken ct = default) =>
        rpc.ServerStreamingAsync<CallbacksRequest, LockCallback>(
            MdsMethods.Callbacks, new CallbacksRequest { ClientId = ClientId }, new CallOptions(null, ct));

    /// <summary>After an MDS restart: replays held locks with their LVBs; the reply's handles are in request order.</summary>
    public async Task<IReadOnlyList<ulong>> LockReplayAsync(IEnumerable<HeldLock> locks, CancellationToken ct = default)
    {
        var request = new LockReplayRequest { ClientId = ClientId };
        request.Locks.AddRange(locks);
        return (await ModifyAsync<LockReplayRequest, LockReplayReply>(MdsMethods.LockReplay, request, ct)).LockHandles;
    }

    public async Task<LayoutResult> SetMirrorFlagsAsync(Fid fid, ushort mirrorId, uint setFlags, uint clearFlags, CancellationToken ct = default) =>
        LayoutResult.FromMsg(await ModifyAsync<SetMirrorFlagsRequest, LayoutReply>(
            MdsMethods.SetMirrorFlags,
            new SetMirrorFlagsRequest { Fid = fid.ToMsg(), MirrorId = mirrorId, SetFlags = setFlags, ClearFlags = clearFlags },
            ct));

    /// <summary>Admin: evicts a client (its locks go; its epochs close with the secondaries STALE, IWM §2.4.3).</summary>
    public Task EvictClientAsync(ulong clientId, CancellationToken ct = default) =>
        ModifyAsync<EvictClientRequest, Empty>(MdsMethods.EvictClient, new EvictClientRequest { ClientId = clientId }, ct);

    public Task<ListEpochsReply> ListEpochsAsync(CancellationToken ct = default) =>
        ReadAsync<Empty, ListEpochsReply>(MdsMethods.ListEpochs, new Empty(), ct);
}
