using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Client.Metadata;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Protocol;
using Mirror.Protocol.Ost;
using Mirror.Rpc;
using OstConnectReply = Mirror.Protocol.Ost.ConnectReply;
using OstConnectRequest = Mirror.Protocol.Ost.ConnectRequest;
using OstSetAttrRequest = Mirror.Protocol.Ost.SetAttrRequest;

namespace Mirror.Client.Targets;

/// <summary>
/// The connection to one OST (ARCHITECTURE §2 Targets). Connects lazily; when a call fails as
/// unreachable it asks the MDS for the OST's current address (it may have restarted on a new port),
/// reconnects and retries the call once, so a dead OST fails within two short call timeouts.
/// Every call here is idempotent on the OST (writes carry absolute offsets), so the retry is safe.
///
/// Bulk data channel: when the OST's ConnectReply names a bulk address and a bulk connector is given,
/// Write and Read go over it (Mirror.Rpc README "Bulk data channel"); everything else, and the one retry
/// of a bulk call that failed as unreachable, goes over gRPC, so a bulk port nobody can reach costs one
/// failed attempt per call, never a failed call.
/// </summary>
public sealed partial class OstTarget : IOstTarget, IDisposable
{
    private readonly Func<int, CancellationToken, Task<string?>> resolveAddress;
    private readonly Func<string, IRpcInvoker> connect;
    private readonly Func<string, IRpcInvoker>? connectBulk;
    private readonly string clientUuid;
    private readonly OstTargetOptions options;
    private readonly ILogger logger;
    private readonly SemaphoreSlim reconnect = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ulong> durableAfterRestart = new();
    private readonly object bootGate = new();
    private IRpcInvoker? rpc;
    private IRpcInvoker? bulk;
    private int rpcVersion;
    private ulong highestTransno;
    private ulong lastCommitted;

    public OstTarget(
        int index,
        string? address,
        Func<int, CancellationToken, Task<string?>> resolveAddress,
        Func<string, IRpcInvoker> connect,
        string clientUuid,
        OstTargetOptions? options = null,
        ILogger? logger = null,
        Func<string, IRpcInvoker>? connectBulk = null)
    {
        Index = index;
        Address = address;
        this.resolveAddress = resolveAddress;
        this.connect = connect;
        this.connectBulk = connectBulk;
        this.clientUuid = clientUuid;
        this.options = options ?? new OstTargetOptions();
        this.logger = logger ?? NullLogger.Instance;
    }

    public int Index { get; }

    public string? Address { get; private set; }

    public string BootId { get; private set; } = "";

    /// <summary>The OST's bulk data channel in use for Write/Read, or null (gRPC only).</summary>
    public string? BulkAddress => bulk?.Target;

    /// <summary>
    /// Set when the OST came back with a new boot id while this client had uncommitted writes on it:
    /// those writes may be lost (IWM §2.2.2: the writer must treat the mirror as failed).
    /// </summary>
    public bool LostUncommittedWrites { get; private set; }

    public ulong HighestTransno => Volatile.Read(ref highestTransno);

    public ulong LastCommitted => Volatile.Read(ref lastCommitted);

    /// <summary>The boot and the highest transno seen from it, read together (a restart resets the transno).</summary>
    public (string Boot, ulong Transno) Watermark()
    {
        lock (bootGate)
        {
            return (BootId, HighestTransno);
        }
    }

    /// <summary>
    /// True when the write that got <paramref name="transno"/> from boot <paramref name="boot"/> is durable:
    /// the current boot's last_committed covers it, or, after a restart, the durable last_committed the
    /// next boot reported at reconnect does (writes above it died with the old process, IWM §2.2.2).
    /// </summary>
    public bool IsCommitted(string boot, ulong transno)
    {
        if (boot.Length == 0 || boot == BootId)
        {
            return LastCommitted >= transno;
        }

        return durableAfterRestart.TryGetValue(boot, out var durable) && durable >= transno;
    }

    public async Task<WriteReply> WriteAsync(ObjectId obj, ulong offset, ReadOnlyMemory<byte> data, uint layoutGeneration, bool sync, CancellationToken ct = default)
    {
        // The bulk channel sends the data from the caller's buffer after the small fields (gather write);
        // gRPC serializes it once (UnsafeWrap, no copy before that). The caller keeps the buffer until the task ends.
        var request = new WriteRequest { Object = obj, Offset = offset, LayoutGeneration = layoutGeneration, Sync = sync };
        var reply = await CallAsync<WriteRequest, WriteReply>(OstMethods.Write, request, ct, bulkData: true, payload: new BulkPayload(WriteRequest.DataFieldNumber, data));
        Track(reply.Transno, reply.LastCommitted);
        return reply;
    }

    public Task<ReadReply> ReadAsync(ObjectId obj, ulong offset, uint length, uint layoutGeneration, CancellationToken ct = default) =>
        CallAsync<ReadRequest, ReadReply>(OstMethods.Read, new ReadRequest { Object = obj, Offset = offset, Length = length, LayoutGeneration = layoutGeneration }, ct, bulkData: true);

    public Task<ModifyReply> PunchAsync(ObjectId obj, ulong offset, ulong length, uint layoutGeneration, CancellationToken ct = default) =>
        ModifyAsync(OstMethods.Punch, new PunchRequest { Object = obj, Offset = offset, Length = length, LayoutGeneration = layoutGeneration }, ct);

    public Task<ModifyReply> FallocateAsync(ObjectId obj, ulong offset, ulong length, uint mode, uint layoutGeneration, CancellationToken ct = default) =>
        ModifyAsync(OstMethods.Fallocate, new FallocateRequest { Object = obj, Offset = offset, Length = length, Mode = mode, LayoutGeneration = layoutGeneration }, ct);

    public Task<ModifyReply> SetAttrAsync(ObjectId obj, ulong? size, DateTimeOffset? mtime, uint layoutGeneration, CancellationToken ct = default) =>
        ModifyAsync(OstMethods.SetAttr, new OstSetAttrRequest
        {
            Object = obj,
            SetSize = size.HasValue,
            Size = size ?? 0,
            SetMtime = mtime.HasValue,
            MtimeNs = mtime.HasValue ? FileAttr.ToNs(mtime.Value) : 0,
            LayoutGeneration = layoutGeneration,
        }, ct);

    public Task<GetAttrReply> GetAttrAsync(ObjectId obj, CancellationToken ct = default) =>
        CallAsync<GetAttrRequest, GetAttrReply>(OstMethods.GetAttr, new GetAttrRequest { Object = obj }, ct);

    public async Task<ulong> SyncAsync(CancellationToken ct = default)
    {
        var reply = await CallAsync<SyncRequest, SyncReply>(OstMethods.Sync, new SyncRequest(), ct, options.SyncTimeout);
        Track(0, reply.LastCommitted);
        return reply.LastCommitted;
    }

    public Task<ModifyReply> DestroyFileAsync(Fid fid, CancellationToken ct = default) =>
        ModifyAsync(OstMethods.DestroyFile, new DestroyFileRequest { Fid = fid.ToMsg() }, ct);

    public void Dispose()
    {
        rpc?.Dispose();
        bulk?.Dispose();
        reconnect.Dispose();
    }

    private async Task<ModifyReply> ModifyAsync<TReq>(string method, TReq request, CancellationToken ct)
        where TReq : IMessage<TReq>
    {
        var reply = await CallAsync<TReq, ModifyReply>(method, request, ct);
        Track(reply.Transno, reply.LastCommitted);
        return reply;
    }

    private void Track(ulong transno, ulong committed)
    {
        InterlockedMax(ref highestTransno, transno);
        InterlockedMax(ref lastCommitted, committed);
    }

    private static void InterlockedMax(ref ulong field, ulong value)
    {
        var current = Volatile.Read(ref field);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref field, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <param name="payload">A bytes field of <paramref name="request"/> not set in it: sent from its memory over the bulk channel, set (wrapped, not copied) for gRPC.</param>
    private async Task<TResp> CallAsync<TReq, TResp>(string method, TReq request, CancellationToken ct, TimeSpan? timeout = null, bool bulkData = false, BulkPayload payload = default)
        where TReq : IMessage<TReq>
        where TResp : IMessage<TResp>, new()
    {
        var callOptions = new CallOptions(timeout ?? options.CallTimeout, ct);
        var (channel, version) = await ChannelAsync(ct);
        var first = bulkData ? Volatile.Read(ref bulk) ?? channel : channel;
        try
        {
            if (first is IPayloadInvoker gather && payload.FieldNumber != 0)
            {
                return await gather.UnaryAsync<TReq, TResp>(method, request, payload, callOptions);
            }

            return await first.UnaryAsync<TReq, TResp>(method, WithPayload(request, payload), callOptions);
        }
        catch (RpcException e) when (RpcErrors.IsUnreachable(e) && !ct.IsCancellationRequested)
        {
            LogUnreachable(Index, Address, e.Message);
            (channel, _) = await ReconnectAsync(version, ct);
            try
            {
                return await channel.UnaryAsync<TReq, TResp>(method, WithPayload(request, payload), callOptions);
            }
            catch (RpcException again)
            {
                throw Fail(again, method);
            }
        }
        catch (RpcException e)
        {
            throw Fail(e, method);
        }
    }

    /// <summary>The request with the payload field set for a channel that serializes whole messages (idempotent).</summary>
    private static TReq WithPayload<TReq>(TReq request, BulkPayload payload)
        where TReq : IMessage<TReq>
    {
        if (payload.FieldNumber != 0)
        {
            request.Descriptor.FindFieldByNumber(payload.FieldNumber).Accessor.SetValue(request, UnsafeByteOperations.UnsafeWrap(payload.Data));
        }

        return request;
    }

    private MirrorException Fail(RpcException e, string method) =>
        new(e.Errno, $"OST{Index} ({Address ?? "no address"}) {method.Split('/')[^1]}: {e.Message}", e);

    private async Task<(IRpcInvoker Channel, int Version)> ChannelAsync(CancellationToken ct)
    {
        var current = rpc;
        if (current is not null)
        {
            return (current, Volatile.Read(ref rpcVersion));
        }

        return await ReconnectAsync(-1, ct);
    }

    /// <summary>
    /// Replaces the channel seen at <paramref name="failedVersion"/> (-1: none yet). Concurrent callers
    /// that failed on the same channel reconnect once.
    /// </summary>
    private async Task<(IRpcInvoker Channel, int Version)> ReconnectAsync(int failedVersion, CancellationToken ct)
    {
        await reconnect.WaitAsync(ct);
        try
        {
            if (rpc is not null && rpcVersion != failedVersion)
            {
                return (rpc, rpcVersion);
            }

            if (failedVersion >= 0 || Address is null)
            {
                Address = await resolveAddress(Index, ct) ?? Address;
            }

            if (Address is null)
            {
                throw new MirrorException(Errno.EHOSTUNREACH, $"OST{Index} is not registered with the MDS");
            }

            var fresh = connect(Address);
            OstConnectReply reply;
            try
            {
                reply = await fresh.UnaryAsync<OstConnectRequest, OstConnectReply>(
                    OstMethods.Connect, new OstConnectRequest { ClientUuid = clientUuid }, new CallOptions(options.CallTimeout, ct));
            }
            catch (RpcException e)
            {
                fresh.Dispose();
                throw Fail(e, OstMethods.Connect);
            }

            if (BootId.Length != 0 && BootId != reply.BootId && HighestTransno > Math.Max(LastCommitted, reply.LastCommitted))
            {
                LostUncommittedWrites = true;
                LogRebootLostWrites(Index, HighestTransno, reply.LastCommitted);
            }

            lock (bootGate)
            {
                if (BootId.Length != 0 && BootId != reply.BootId)
                {
                    // A new process numbers transnos on from its durable last_committed: the watermarks of
                    // the old boot mean nothing there; IsCommitted judges old-boot writes by this value.
                    durableAfterRestart[BootId] = reply.LastCommitted;
                    Volatile.Write(ref highestTransno, reply.LastCommitted);
                    Volatile.Write(ref lastCommitted, reply.LastCommitted);
                }

                BootId = reply.BootId;
            }

            Track(0, reply.LastCommitted);
            var old = (rpc, bulk);
            rpc = fresh;
            bulk = connectBulk is not null && reply.BulkAddress.Length > 0 ? connectBulk(reply.BulkAddress) : null;
            rpcVersion++;
            old.rpc?.Dispose();
            old.bulk?.Dispose();
            return (fresh, rpcVersion);
        }
        finally
        {
            reconnect.Release();
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "OST{OstIndex} at {Address} unreachable ({Reason}); refreshing its address")]
    private partial void LogUnreachable(int ostIndex, string? address, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "OST{OstIndex} restarted with writes up to transno {Transno} uncommitted (its last_committed {LastCommitted})")]
    private partial void LogRebootLostWrites(int ostIndex, ulong transno, ulong lastCommitted);
}

/// <summary>Per-call timeouts: short, so a dead OST fails fast and reads move to another mirror (IWM §2.3.3.1).</summary>
public sealed record OstTargetOptions
{
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan SyncTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Send Write/Read over the OST's bulk data channel when it offers one (default); false = gRPC only.</summary>
    public bool UseBulk { get; init; } = true;
}
