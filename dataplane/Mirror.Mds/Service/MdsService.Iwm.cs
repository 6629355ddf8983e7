using Mirror.Core.Errors;
using Mirror.Core.Faults;
using Mirror.Core.Layouts;
using Mirror.Mds.Layouts;
using Mirror.Mds.Locks;
using Mirror.Mds.Recovery;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;
using static Mirror.Mds.Service.ProtoConvert;
using ProtoLockMode = Mirror.Protocol.Mds.LockMode;

namespace Mirror.Mds.Service;

/// <summary>The IWM handlers (mds.proto "Immediate Write Mirroring"; IWM §2.2): locks, callbacks, leases, epochs.</summary>
public sealed partial class MdsService
{
    /// <summary>"delay:MS" holds each callback back on the Callbacks stream (replies then race ahead of it).</summary>
    public const string CallbackStreamFault = "mds.callback.stream";

    /// <summary>
    /// LockEnqueue: one bit per request (LAYOUT first, then AW, §2.2.7). LAYOUT CR may carry an intent
    /// (fold-up for non-IWM writers, §2.4.6); AW CW opens the epoch on the first grant (§2.2.5).
    /// </summary>
    public async Task<LockEnqueueReply> LockEnqueue(LockEnqueueRequest r, CancellationToken cancellationToken = default)
    {
        var client = core.Clients.Require(r.ClientId);
        var fid = Fid(r.Fid);
        var mode = (Locks.LockMode)r.Mode;
        switch ((LockBits)r.Bits)
        {
            case LockBits.Layout:
                var (layoutLock, file) = await core.EpochLayouts.LayoutLockAsync(client, fid, mode, (LayoutIntent)r.Intent, cancellationToken);
                return Ordered(client.ClientId, new LockEnqueueReply { LockHandle = layoutLock.Handle, Attr = Attr(file), Layout = LayoutConvert.ToProto(file.Layout!) });
            case LockBits.ActiveWriters:
                if (mode != Locks.LockMode.CW)
                {
                    throw new MirrorException(Errno.EINVAL, $"clients take ACTIVE_WRITERS in CW mode only, not {mode} (EX belongs to the MDS)");
                }

                var grant = await core.Epochs.AcquireAsync(client, fid, cancellationToken);
                return Ordered(client.ClientId, new LockEnqueueReply
                {
                    LockHandle = grant.Lock.Handle,
                    Attr = Attr(grant.File),
                    Layout = LayoutConvert.ToProto(grant.File.Layout!),
                    EpochId = grant.EpochId,
                });
            default:
                throw new MirrorException(Errno.EINVAL, $"lock bits {r.Bits}: enqueue LAYOUT or ACTIVE_WRITERS, one at a time (LAYOUT first)");
        }
    }

    /// <summary>LockCancel: AW with its LVB error report (§2.2.3); LAYOUT just goes.</summary>
    public async Task<Empty> LockCancel(LockCancelRequest r)
    {
        core.Clients.Require(r.ClientId);
        var held = core.Locks.Find(r.LockHandle);
        if (held is null || held.ClientId != r.ClientId || held.State != LockState.Granted)
        {
            throw new MirrorException(Errno.ENOENT, $"client {r.ClientId} holds no lock {r.LockHandle}");
        }

        if (held.Bits.HasFlag(LockBits.ActiveWriters))
        {
            await core.Epochs.CancelAwAsync(held, r.Lvb.Memory);
        }
        else
        {
            core.Locks.Release(held.Handle);
        }

        return Ordered(r.ClientId, new Empty());
    }

    /// <summary>The Callbacks server stream: blocking callbacks for this client until it is evicted or hangs up.</summary>
    public async Task Callbacks(CallbacksRequest r, IServerStreamWriter<LockCallback> writer, CancellationToken callEnded)
    {
        var (session, stop) = core.Clients.OpenCallbacks(r.ClientId, callEnded);
        try
        {
            // The marker: callbacks up to TakenSeq went with an earlier stream (delivered or lost), so the
            // client stops waiting for them (mds.proto LockCallback.callback_seq).
            await writer.WriteAsync(new LockCallback { CallbackSeq = core.Clients.TakenSeq(session) }, stop);
            await foreach (var callback in session.Callbacks.Reader.ReadAllAsync(stop))
            {
                core.Clients.Taken(session, callback.Seq);
                await FaultPoints.HitAsync(CallbackStreamFault, stop);
                var generation = core.Model.Read(() =>
                    core.Model.Inodes.TryGetValue(callback.Lock.Fid, out var i) ? i.Layout?.Generation ?? 0 : 0);
                await writer.WriteAsync(new LockCallback
                {
                    LockHandle = callback.Lock.Handle,
                    Fid = Msg(callback.Lock.Fid),
                    Bits = (uint)callback.Lock.Bits,
                    BlockingMode = (ProtoLockMode)callback.BlockingMode,
                    LayoutGeneration = generation,
                    CallbackSeq = callback.Seq,
                }, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Replaced by a newer stream, the caller hung up, or the client was evicted: the stream just ends.
        }
    }

    /// <summary>Lease renewal. An evicted client's reply is not ordered: it must learn of the eviction even when its stream is gone.</summary>
    public Task<PingReply> Ping(PingRequest r)
    {
        var reply = new PingReply { MdsBootId = core.BootId, Evicted = core.Clients.Ping(r.ClientId) };
        return Task.FromResult(reply.Evicted ? reply : Ordered(r.ClientId, reply));
    }

    /// <summary>LockReplay after an MDS restart (§2.2.5): one handle per lock, 0 = not re-granted.</summary>
    public async Task<LockReplayReply> LockReplay(LockReplayRequest r, CancellationToken cancellationToken = default)
    {
        var client = core.Clients.Require(r.ClientId);
        var held = r.Locks.Select(l => new ReplayedLock(Fid(l.Fid), (LockBits)l.Bits, (Locks.LockMode)l.Mode, l.Lvb.ToByteArray())).ToList();
        var reply = new LockReplayReply();
        reply.LockHandles.AddRange(await core.Recovery.ReplayAsync(client, held, cancellationToken));
        return Ordered(client.ClientId, reply);
    }

    public async Task<LayoutReply> SetMirrorFlags(SetMirrorFlagsRequest r)
    {
        if (r.MirrorId is 0 or > ushort.MaxValue)
        {
            throw new MirrorException(Errno.EINVAL, $"no mirror {r.MirrorId} in {Fid(r.Fid)}");
        }

        return LayoutReply(await core.EpochLayouts.SetMirrorFlagsAsync(Fid(r.Fid), (ushort)r.MirrorId, (MirrorFlags)r.SetFlags, (MirrorFlags)r.ClearFlags));
    }

    public Task<ListEpochsReply> ListEpochs(Empty r)
    {
        var reply = new ListEpochsReply { Recovering = !core.Epochs.RecoveryDone.IsCompleted };
        foreach (var row in core.Model.Read(() => core.Model.ActiveEpochs.Values.OrderBy(e => e.Fid).ToList()))
        {
            var writers = core.Locks.Granted(row.Fid, LockBits.ActiveWriters);
            var epoch = new ActiveEpoch
            {
                Fid = Msg(row.Fid),
                EpochId = row.EpochId,
                ErrorMask = row.ErrorMask,
                Closing = writers.Any(l => l.CallbackSentNs is not null || l.Mode == Locks.LockMode.EX),
            };
            epoch.WriterClientIds.AddRange(writers.Where(l => l.ClientId != MdsLock.MdsClient).Select(l => l.ClientId).Distinct());
            reply.Epochs.Add(epoch);
        }

        return Task.FromResult(reply);
    }

    /// <summary>Stamps the client's callback sequence into a reply, after the handler's work (mds.proto LockCallback.callback_seq).</summary>
    private T Ordered<T>(ulong clientId, T reply)
        where T : ICallbackOrdered
    {
        reply.CallbackSeq = core.Clients.CallbackSeq(clientId);
        return reply;
    }

    public async Task<Empty> EvictClient(EvictClientRequest r)
    {
        if (!await core.Clients.EvictAsync(r.ClientId, "evicted by an administrator"))
        {
            throw new MirrorException(Errno.ENOENT, $"no connected client {r.ClientId}");
        }

        return new Empty();
    }
}
