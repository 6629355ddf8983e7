using Google.Protobuf;
using Mirror.Core;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;
using MdsConnectReply = Mirror.Protocol.Mds.ConnectReply;
using MdsConnectRequest = Mirror.Protocol.Mds.ConnectRequest;
using MdsSetAttrRequest = Mirror.Protocol.Mds.SetAttrRequest;
using MdsStatfsReply = Mirror.Protocol.Mds.StatfsReply;

namespace Mirror.Client.Metadata;

/// <summary>
/// The metadata client (Lustre's mdc): one typed method per <see cref="MdsMethods"/> call. Failures come
/// out as <see cref="Core.Errors.MirrorException"/> with the MDS's errno. Idempotent reads are retried
/// on UNAVAILABLE with a short backoff until <see cref="MdsClientOptions.RetryDeadline"/> (an MDS restart
/// or failover); modifying calls are not retried here, their callers decide.
/// </summary>
public sealed partial class MdsClient : IDisposable
{
    private readonly IRpcInvoker rpc;
    private readonly MdsClientOptions options;

    public MdsClient(IRpcInvoker rpc, MdsClientOptions? options = null)
    {
        this.rpc = rpc;
        this.options = options ?? new MdsClientOptions();
    }

    public string Address => rpc.Target;

    /// <summary>Holds replies to lock calls until the callbacks sent before them are handled (mds.proto LockCallback.callback_seq).</summary>
    public CallbackOrder CallbackOrder { get; } = new();

    /// <summary>The invoker calls go through (tests look at the bulk channel in use).</summary>
    internal IRpcInvoker Invoker => rpc;

    /// <summary>Set by <see cref="ConnectAsync"/>; sent with layout intents.</summary>
    public ulong ClientId { get; private set; }

    public string MdsBootId { get; private set; } = "";

    public async Task<MdsConnectReply> ConnectAsync(string clientUuid, bool iwmAware, CancellationToken ct = default)
    {
        var reply = await ReadAsync<MdsConnectRequest, MdsConnectReply>(
            MdsMethods.Connect,
            new MdsConnectRequest { ClientUuid = clientUuid, IwmAware = iwmAware, ClientVersion = ClientVersion },
            ct);
        CallbackOrder.Reset();
        ClientId = reply.ClientId;
        MdsBootId = reply.MdsBootId;
        ClientUuid = clientUuid;
        IwmAware = iwmAware;
        LeaseMs = reply.LeaseMs;
        (rpc as MdsBulkInvoker)?.UseBulkAddress(reply.BulkAddress);
        return reply;
    }

    public static string ClientVersion => typeof(MdsClient).Assembly.GetName().Version?.ToString() ?? "0";

    // ---- namespace (idempotent reads retry) ----
    public async Task<FileAttr> LookupAsync(Fid parent, string name, CancellationToken ct = default) =>
        FileAttr.FromMsg(await ReadAsync<LookupRequest, Attr>(MdsMethods.Lookup, new LookupRequest { Parent = parent.ToMsg(), Name = name }, ct));

    public async Task<FileAttr> ResolvePathAsync(string path, CancellationToken ct = default) =>
        FileAttr.FromMsg(await ReadAsync<PathRequest, Attr>(MdsMethods.ResolvePath, new PathRequest { Path = path }, ct));

    public async Task<FileAttr> GetAttrAsync(Fid fid, CancellationToken ct = default) =>
        FileAttr.FromMsg(await ReadAsync<FidRequest, Attr>(MdsMethods.GetAttr, new FidRequest { Fid = fid.ToMsg() }, ct));

    public async Task<FileAttr> SetAttrAsync(MdsSetAttrRequest request, CancellationToken ct = default) =>
        FileAttr.FromMsg(await ModifyAsync<MdsSetAttrRequest, Attr>(MdsMethods.SetAttr, request, ct));

    /// <summary>Lazy size: the MDS only grows the size through this call (mds.proto UpdateSizeRequest).</summary>
    public async Task<FileAttr> UpdateSizeAsync(Fid fid, ulong size, DateTimeOffset mtime, CancellationToken ct = default) =>
        FileAttr.FromMsg(await ModifyAsync<UpdateSizeRequest, Attr>(
            MdsMethods.UpdateSize, new UpdateSizeRequest { Fid = fid.ToMsg(), Size = size, MtimeNs = FileAttr.ToNs(mtime) }, ct));

    public Task<CreateResult> CreateAsync(Fid parent, string name, uint mode, bool exclusive, LayoutSpec? layout, CancellationToken ct = default)
    {
        var request = new CreateRequest { Parent = parent.ToMsg(), Name = name, Mode = mode, Exclusive = exclusive, Layout = layout };
        return CreateLikeAsync(MdsMethods.Create, request, ct);
    }

    public Task<CreateResult> MkdirAsync(Fid parent, string name, uint mode, CancellationToken ct = default) =>
        CreateLikeAsync(MdsMethods.Mkdir, new CreateRequest { Parent = parent.ToMsg(), Name = name, Mode = mode, Exclusive = true }, ct);

    public Task<CreateResult> SymlinkAsync(Fid parent, string name, string target, CancellationToken ct = default) =>
        CreateLikeAsync(MdsMethods.Symlink, new CreateRequest { Parent = parent.ToMsg(), Name = name, Mode = 0x1FF, Exclusive = true, SymlinkTarget = target }, ct);

    /// <summary>Every entry of a directory, following readdir cookies page by page.</summary>
    public async Task<IReadOnlyList<DirectoryEntry>> ReaddirAsync(Fid dir, CancellationToken ct = default)
    {
        var entries = new List<DirectoryEntry>();
        ulong cookie = 0;
        while (true)
        {
            var reply = await ReadAsync<ReaddirRequest, ReaddirReply>(
                MdsMethods.Readdir, new ReaddirRequest { Fid = dir.ToMsg(), Cookie = cookie, MaxEntries = 1024 }, ct);
            foreach (var e in reply.Entries)
            {
                entries.Add(new DirectoryEntry(e.Name, e.Fid.ToFid(), (FileKind)(int)e.Type));
                cookie = e.Cookie;
            }

            if (reply.Eof || reply.Entries.Count == 0)
            {
                return entries;
            }
        }
    }

    public Task UnlinkAsync(Fid parent, string name, CancellationToken ct = default) =>
        ModifyAsync<NameRequest, Empty>(MdsMethods.Unlink, new NameRequest { Parent = parent.ToMsg(), Name = name }, ct);

    public Task RmdirAsync(Fid parent, string name, CancellationToken ct = default) =>
        ModifyAsync<NameRequest, Empty>(MdsMethods.Rmdir, new NameRequest { Parent = parent.ToMsg(), Name = name }, ct);

    public Task RenameAsync(Fid srcParent, string srcName, Fid dstParent, string dstName, uint flags = 0, CancellationToken ct = default) =>
        ModifyAsync<RenameRequest, Empty>(MdsMethods.Rename, new RenameRequest
        {
            SrcParent = srcParent.ToMsg(),
            SrcName = srcName,
            DstParent = dstParent.ToMsg(),
            DstName = dstName,
            Flags = flags,
        }, ct);

    public Task<MdsStatfsReply> StatfsAsync(CancellationToken ct = default) =>
        ReadAsync<Empty, MdsStatfsReply>(MdsMethods.Statfs, new Empty(), ct);

    // ---- layouts and FLR ----
    public async Task<LayoutResult> GetLayoutAsync(Fid fid, CancellationToken ct = default) =>
        LayoutResult.FromMsg(await ReadAsync<FidRequest, LayoutReply>(MdsMethods.GetLayout, new FidRequest { Fid = fid.ToMsg() }, ct));

    /// <summary>
    /// Write intent (flr-overview "Synchronization Model"): RDONLY → WRITE_PENDING, every mirror but the
    /// primary STALE. Resync intent: → SYNC_PENDING. Idempotent on the MDS, so it is retried.
    /// </summary>
    public async Task<LayoutResult> LayoutIntentAsync(Fid fid, LayoutIntentOp op, CancellationToken ct = default) =>
        LayoutResult.FromMsg(await ReadAsync<LayoutIntentRequest, LayoutReply>(
            MdsMethods.LayoutIntent, new LayoutIntentRequest { Fid = fid.ToMsg(), Op = op, ClientId = ClientId }, ct));

    public async Task<LayoutResult> MirrorExtendAsync(Fid fid, LayoutSpec? mirrors, Fid? victim, uint expectedGeneration, CancellationToken ct = default)
    {
        var request = new MirrorExtendRequest { Fid = fid.ToMsg(), Mirrors = mirrors, ExpectedGeneration = expectedGeneration };
        if (victim is { } v)
        {
            request.Victim = v.ToMsg();
        }

        return LayoutResult.FromMsg(await ModifyAsync<MirrorExtendRequest, LayoutReply>(MdsMethods.MirrorExtend, request, ct));
    }

    public async Task<LayoutResult> MirrorSplitAsync(Fid fid, ushort mirrorId, bool destroy, Fid? splitParent, string? splitName, CancellationToken ct = default)
    {
        var request = new MirrorSplitRequest { Fid = fid.ToMsg(), MirrorId = mirrorId, Destroy = destroy, SplitName = splitName ?? "" };
        if (splitParent is { } p)
        {
            request.SplitParent = p.ToMsg();
        }

        return LayoutResult.FromMsg(await ModifyAsync<MirrorSplitRequest, LayoutReply>(MdsMethods.MirrorSplit, request, ct));
    }

    public async Task<LayoutResult> ResyncDoneAsync(Fid fid, uint generation, IEnumerable<ushort> syncedMirrorIds, ulong size, CancellationToken ct = default)
    {
        var request = new ResyncDoneRequest { Fid = fid.ToMsg(), Generation = generation, Size = size };
        request.SyncedMirrorIds.AddRange(syncedMirrorIds.Select(id => (uint)id));
        return LayoutResult.FromMsg(await ModifyAsync<ResyncDoneRequest, LayoutReply>(MdsMethods.ResyncDone, request, ct));
    }

    public async Task<LayoutResult> SwapLayoutsAsync(Fid fid, Fid donor, ulong expectedDataVersion, CancellationToken ct = default) =>
        LayoutResult.FromMsg(await ModifyAsync<SwapLayoutsRequest, LayoutReply>(
            MdsMethods.SwapLayouts, new SwapLayoutsRequest { Fid = fid.ToMsg(), Donor = donor.ToMsg(), ExpectedDataVersion = expectedDataVersion }, ct));

    // ---- changelog ----
    public Task<ChangelogRegisterReply> ChangelogRegisterAsync(string name, CancellationToken ct = default) =>
        ModifyAsync<ChangelogRegisterRequest, ChangelogRegisterReply>(MdsMethods.ChangelogRegister, new ChangelogRegisterRequest { Name = name }, ct);

    public Task<ChangelogReadReply> ChangelogReadAsync(ulong afterIndex, uint maxRecords, CancellationToken ct = default) =>
        ReadAsync<ChangelogReadRequest, ChangelogReadReply>(MdsMethods.ChangelogRead, new ChangelogReadRequest { AfterIndex = afterIndex, MaxRecords = maxRecords }, ct);

    public Task ChangelogClearAsync(string consumer, ulong upToIndex, CancellationToken ct = default) =>
        ModifyAsync<ChangelogClearRequest, Empty>(MdsMethods.ChangelogClear, new ChangelogClearRequest { Consumer = consumer, UpToIndex = upToIndex }, ct);

    // ---- OST registry and admin ----
    public Task RegisterOstAsync(RegisterOstRequest request, CancellationToken ct = default) =>
        ModifyAsync<RegisterOstRequest, Empty>(MdsMethods.RegisterOst, request, ct);

    public async Task<IReadOnlyList<OstInfo>> ListOstsAsync(CancellationToken ct = default) =>
        (await ReadAsync<Empty, ListOstsReply>(MdsMethods.ListOsts, new Empty(), ct)).Osts;

    public Task SetFaultAsync(SetFaultRequest request, CancellationToken ct = default) =>
        ModifyAsync<SetFaultRequest, SetFaultReply>(MdsMethods.SetFault, request, ct);

    public void Dispose() => rpc.Dispose();

    private async Task<CreateResult> CreateLikeAsync(string method, CreateRequest request, CancellationToken ct)
    {
        var reply = await ModifyAsync<CreateRequest, CreateReply>(method, request, ct);
        return CreateResult.FromMsg(reply);
    }

    /// <summary>A call that is safe to repeat: retried on UNAVAILABLE with exponential backoff until the retry deadline.</summary>
    private async Task<TResp> ReadAsync<TReq, TResp>(string method, TReq request, CancellationToken ct)
        where TReq : IMessage<TReq>
        where TResp : IMessage<TResp>, new()
    {
        var deadline = DateTime.UtcNow + options.RetryDeadline;
        var backoff = options.InitialBackoff;
        while (true)
        {
            try
            {
                var start = DateTime.UtcNow;
                return await OrderedAsync(await rpc.UnaryAsync<TReq, TResp>(method, request, new CallOptions(options.CallTimeout, ct)), start, ct);
            }
            catch (RpcException e) when (e.Status == StatusCode.Unavailable && DateTime.UtcNow + backoff < deadline && !ct.IsCancellationRequested)
            {
                await Task.Delay(backoff, ct);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxBackoff.Ticks));
            }
            catch (RpcException e)
            {
                throw e.ToMirrorException();
            }
        }
    }

    private async Task<TResp> ModifyAsync<TReq, TResp>(string method, TReq request, CancellationToken ct)
        where TReq : IMessage<TReq>
        where TResp : IMessage<TResp>, new()
    {
        try
        {
            var start = DateTime.UtcNow;
            return await OrderedAsync(await rpc.UnaryAsync<TReq, TResp>(method, request, new CallOptions(options.CallTimeout, ct)), start, ct);
        }
        catch (RpcException e)
        {
            throw e.ToMirrorException();
        }
    }

    /// <summary>A reply to a lock call returns after the callbacks the MDS sent before it (waits within the call's deadline).</summary>
    private async ValueTask<TResp> OrderedAsync<TResp>(TResp reply, DateTime start, CancellationToken ct)
    {
        if (reply is ICallbackOrdered { CallbackSeq: > 0 } ordered)
        {
            await CallbackOrder.WaitAsync(ordered.CallbackSeq, start + options.CallTimeout, ct);
        }

        return reply;
    }
}

/// <summary>Timeouts and retry policy of <see cref="MdsClient"/>.</summary>
public sealed record MdsClientOptions
{
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long idempotent reads keep retrying an unreachable MDS.</summary>
    public TimeSpan RetryDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Send unary calls (all but Connect) over the MDS's bulk channel when it offers one; the Callbacks stream
    /// stays on gRPC and replies to lock calls wait for the callbacks sent before them (<see cref="CallbackOrder"/>).
    /// On by default; the environment variable MIRROR_MDS_BULK=0 turns it off (gRPC only).
    /// </summary>
    public bool UseBulk { get; init; } = Environment.GetEnvironmentVariable("MIRROR_MDS_BULK") != "0";
}
