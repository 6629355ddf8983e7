using System.Buffers;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Mirror.Core.Errors;
using Mirror.Core.Faults;
using Mirror.Ost.Commit;
using Mirror.Ost.Objects;
using Mirror.Protocol;
using Mirror.Protocol.Ost;
using Mirror.Rpc;

namespace Mirror.Ost.Service;

/// <summary>
/// The RPC handlers of service "mirror.ost.Ost" (Lustre's ofd handlers): one method per
/// <see cref="OstMethods"/> entry, each mapping the request onto <see cref="ObjectStore"/> and
/// <see cref="CommitJournal"/> and stamping the reply with its transno and the current last_committed.
/// Fault points "ost.write", "ost.read", "ost.sync" sit here, before anything is applied.
/// </summary>
public sealed class OstService
{
    private static readonly TimeSpan FenceWait = TimeSpan.FromSeconds(10);
    /// <summary>
    /// WriteRequest.data is borrowed from the RPC layer's request buffer, not copied: <see cref="WriteAsync"/>
    /// has written it to the object before its task ends (the sync wait that may follow no longer reads it).
    /// </summary>
    private static readonly BorrowedBytesField<WriteRequest> BorrowedData = new(WriteRequest.DataFieldNumber, (r, data) => r.Data = data);

    private readonly ObjectStore store;
    private readonly CommitJournal journal;

    public OstService(int ostIndex, string ostUuid, string bootId, ObjectStore store, CommitJournal journal)
    {
        OstIndex = ostIndex;
        OstUuid = ostUuid;
        BootId = bootId;
        this.store = store;
        this.journal = journal;
    }

    public int OstIndex { get; }

    public string OstUuid { get; }

    /// <summary>New on every start: a client that sees it change knows uncommitted writes may be gone.</summary>
    public string BootId { get; }

    /// <summary>host:port of the bulk data channel, told to clients in ConnectReply; empty = none.</summary>
    public string BulkAddress { get; set; } = "";

    public RpcServiceBuilder Build() => Register(new RpcServiceBuilder(OstMethods.Service));

    public RpcServiceBuilder Register(RpcServiceBuilder builder) => builder
        .Unary<ConnectRequest, ConnectReply>(OstMethods.Connect, ConnectAsync)
        .Unary<WriteRequest, WriteReply>(OstMethods.Write, WriteAsync, BorrowedData)
        .Unary<ReadRequest, ReadReply>(OstMethods.Read, ReadAsync, ReturnReadBuffer)
        .Unary<PunchRequest, ModifyReply>(OstMethods.Punch, PunchAsync)
        .Unary<FallocateRequest, ModifyReply>(OstMethods.Fallocate, FallocateAsync)
        .Unary<SetAttrRequest, ModifyReply>(OstMethods.SetAttr, SetAttrAsync)
        .Unary<GetAttrRequest, GetAttrReply>(OstMethods.GetAttr, GetAttrAsync)
        .Unary<SyncRequest, SyncReply>(OstMethods.Sync, SyncAsync)
        .Unary<DestroyRequest, ModifyReply>(OstMethods.Destroy, DestroyAsync)
        .Unary<DestroyFileRequest, ModifyReply>(OstMethods.DestroyFile, DestroyFileAsync)
        .Unary<FenceRequest, FenceReply>(OstMethods.Fence, FenceAsync)
        .Unary<Empty, StatfsReply>(OstMethods.Statfs, StatfsAsync)
        .Unary<SetFaultRequest, SetFaultReply>(OstMethods.SetFault, SetFaultAsync);

    public Task<ConnectReply> ConnectAsync(ConnectRequest request, ServerCallContext context) =>
        Task.FromResult(new ConnectReply
        {
            OstIndex = (uint)OstIndex,
            OstUuid = OstUuid,
            LastCommitted = journal.LastCommitted,
            BootId = BootId,
            BulkAddress = BulkAddress,
        });

    public async Task<WriteReply> WriteAsync(WriteRequest request, ServerCallContext context)
    {
        var key = ProtoMapping.ToKey(request.Object, "Write");
        await FaultPoints.HitAsync("ost.write", context.CancellationToken).ConfigureAwait(false);
        var transno = store.Write(key, request.Offset, request.Data.Span, request.LayoutGeneration);
        OstMetrics.Written(OstIndex, request.Data.Length);
        if (request.Sync)
        {
            // Direct-IO semantics: the reply's last_committed covers this write.
            await journal.WaitCommittedAsync(transno).WaitAsync(context.CancellationToken).ConfigureAwait(false);
        }

        return new WriteReply { Transno = transno, LastCommitted = journal.LastCommitted };
    }

    /// <summary>
    /// Reads into a pooled buffer (no array per read); the reply's data is that buffer's prefix and goes back
    /// to the pool through <see cref="ReturnReadBuffer"/> once the RPC layer serialized the reply.
    /// </summary>
    public async Task<ReadReply> ReadAsync(ReadRequest request, ServerCallContext context)
    {
        var key = ProtoMapping.ToKey(request.Object, "Read");
        await FaultPoints.HitAsync("ost.read", context.CancellationToken).ConfigureAwait(false);
        var buffer = request.Length == 0 ? [] : ArrayPool<byte>.Shared.Rent((int)Math.Min(request.Length, (uint)ObjectStore.MaxIoBytes));
        try
        {
            var (n, objectSize, exists) = store.ReadInto(key, request.Offset, buffer, request.Length, request.LayoutGeneration);
            OstMetrics.Read(OstIndex, n);
            return new ReadReply
            {
                Data = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, n)),
                ObjectSize = objectSize,
                Exists = exists,
            };
        }
        catch
        {
            Return(buffer);
            throw;
        }
    }

    /// <summary>The release hook of Read's registration: the pooled buffer under the reply's data goes back.</summary>
    public static void ReturnReadBuffer(ReadReply reply)
    {
        if (MemoryMarshal.TryGetArray(reply.Data.Memory, out var segment) && segment.Array is { } array)
        {
            Return(array);
        }
    }

    private static void Return(byte[] buffer)
    {
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public Task<ModifyReply> PunchAsync(PunchRequest request, ServerCallContext context)
    {
        var key = ProtoMapping.ToKey(request.Object, "Punch");
        return Modified(store.Punch(key, request.Offset, request.Length, request.LayoutGeneration));
    }

    public Task<ModifyReply> FallocateAsync(FallocateRequest request, ServerCallContext context)
    {
        var key = ProtoMapping.ToKey(request.Object, "Fallocate");
        return Modified(store.Fallocate(key, request.Offset, request.Length, request.Mode, request.LayoutGeneration));
    }

    public Task<ModifyReply> SetAttrAsync(SetAttrRequest request, ServerCallContext context)
    {
        var key = ProtoMapping.ToKey(request.Object, "SetAttr");
        if (!request.SetSize && !request.SetMtime)
        {
            throw new MirrorException(Errno.EINVAL, $"SetAttr on object {key}: neither set_size nor set_mtime is given");
        }

        return Modified(store.SetAttr(
            key,
            request.SetSize ? request.Size : null,
            request.SetMtime ? request.MtimeNs : null,
            request.LayoutGeneration));
    }

    public Task<GetAttrReply> GetAttrAsync(GetAttrRequest request, ServerCallContext context)
    {
        var attributes = store.GetAttr(ProtoMapping.ToKey(request.Object, "GetAttr"));
        return Task.FromResult(new GetAttrReply
        {
            Exists = attributes.Exists,
            Size = attributes.Size,
            Blocks = attributes.Blocks,
            MtimeNs = attributes.MtimeNs,
            LayoutGeneration = attributes.LayoutGeneration,
        });
    }

    /// <summary>
    /// Commits now. The target is the last transno given out when the call arrives, so the reply's
    /// last_committed covers every change acknowledged before it (ARCHITECTURE §4 invariant 4). With an
    /// object named the whole OST is committed all the same (one journal).
    /// </summary>
    public async Task<SyncReply> SyncAsync(SyncRequest request, ServerCallContext context)
    {
        if (request.Object is not null)
        {
            ProtoMapping.ToKey(request.Object, "Sync");
        }

        await FaultPoints.HitAsync("ost.sync", context.CancellationToken).ConfigureAwait(false);
        var target = journal.LastTransno;
        await journal.WaitCommittedAsync(target).WaitAsync(context.CancellationToken).ConfigureAwait(false);
        return new SyncReply { LastCommitted = journal.LastCommitted };
    }

    public Task<ModifyReply> DestroyAsync(DestroyRequest request, ServerCallContext context) =>
        Modified(store.Destroy(ProtoMapping.ToKey(request.Object, "Destroy")));

    public Task<ModifyReply> DestroyFileAsync(DestroyFileRequest request, ServerCallContext context) =>
        Modified(store.DestroyFile(ProtoMapping.ToFid(request.Fid, "DestroyFile")));

    /// <summary>
    /// IWM §2.2.6: the MDS fences an evicted writer before its epoch close is final. Replies once the raised
    /// generations are committed, so an OST crash cannot undo the fence.
    /// </summary>
    public async Task<FenceReply> FenceAsync(FenceRequest request, ServerCallContext context)
    {
        var keys = request.Objects.Select(o => ProtoMapping.ToKey(o, "Fence")).ToList();
        var transno = store.Fence(keys, request.LayoutGeneration, FenceWait);
        await journal.WaitCommittedAsync(transno).WaitAsync(context.CancellationToken).ConfigureAwait(false);
        return new FenceReply { Objects = (uint)keys.Count, LastCommitted = journal.LastCommitted };
    }

    public Task<StatfsReply> StatfsAsync(Empty request, ServerCallContext context)
    {
        var statfs = store.Statfs();
        return Task.FromResult(new StatfsReply
        {
            TotalBytes = statfs.TotalBytes,
            FreeBytes = statfs.FreeBytes,
            Objects = statfs.Objects,
            LastCommitted = journal.LastCommitted,
            LastTransno = journal.LastTransno,
        });
    }

    /// <summary>Arms or disarms a fault point in this process (common.proto SetFaultRequest).</summary>
    public Task<SetFaultReply> SetFaultAsync(SetFaultRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            throw new MirrorException(Errno.EINVAL, "SetFault: the fault point name is empty");
        }

        FaultSpec spec;
        try
        {
            spec = FaultPoints.ParseSpec(request.Action);
        }
        catch (FormatException e)
        {
            throw new MirrorException(Errno.EINVAL, $"SetFault {request.Name}: {e.Message}", e);
        }

        // delay_ms and count override what the action text says; count 0 (the proto default) means every hit.
        FaultPoints.Set(request.Name, spec with
        {
            DelayMs = request.DelayMs > 0 ? request.DelayMs : spec.DelayMs,
            Remaining = request.Count != 0 ? request.Count : spec.Remaining,
        });
        return Task.FromResult(new SetFaultReply());
    }

    private Task<ModifyReply> Modified(ulong transno) =>
        Task.FromResult(new ModifyReply { Transno = transno, LastCommitted = journal.LastCommitted });
}
