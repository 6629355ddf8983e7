using Mirror.Core.Errors;
using Mirror.Core.Faults;
using Mirror.Mds.Host;
using Mirror.Mds.Layouts;
using Mirror.Mds.Namespace;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;
using static Mirror.Mds.Service.ProtoConvert;

namespace Mirror.Mds.Service;

/// <summary>
/// The "mirror.mds.Mds" handlers (Lustre mdt): one method per <see cref="MdsMethods"/> entry, each only
/// translating proto ↔ domain and calling the layer that owns the work. Errors are <see cref="MirrorException"/>s
/// from those layers; the Rpc layer turns them into a gRPC status with the errno trailer.
/// </summary>
public sealed partial class MdsService(MdsCore core)
{
    public RpcServiceBuilder Build() => new RpcServiceBuilder(MdsMethods.Service)
        .Unary<ConnectRequest, ConnectReply>(MdsMethods.Connect, (r, _) => Connect(r))
        .Unary<LookupRequest, Attr>(MdsMethods.Lookup, (r, _) => Lookup(r))
        .Unary<PathRequest, Attr>(MdsMethods.ResolvePath, (r, _) => ResolvePath(r))
        .Unary<FidRequest, Attr>(MdsMethods.GetAttr, (r, _) => GetAttr(r))
        .Unary<SetAttrRequest, Attr>(MdsMethods.SetAttr, (r, _) => SetAttr(r))
        .Unary<UpdateSizeRequest, Attr>(MdsMethods.UpdateSize, (r, _) => UpdateSize(r))
        .Unary<CreateRequest, CreateReply>(MdsMethods.Create, (r, _) => Create(r))
        .Unary<CreateRequest, CreateReply>(MdsMethods.Mkdir, (r, _) => Mkdir(r))
        .Unary<CreateRequest, CreateReply>(MdsMethods.Symlink, (r, _) => Symlink(r))
        .Unary<ReaddirRequest, ReaddirReply>(MdsMethods.Readdir, (r, _) => Readdir(r))
        .Unary<NameRequest, NamespaceReply>(MdsMethods.Unlink, (r, _) => Unlink(r))
        .Unary<NameRequest, NamespaceReply>(MdsMethods.Rmdir, (r, _) => Rmdir(r))
        .Unary<RenameRequest, NamespaceReply>(MdsMethods.Rename, (r, _) => Rename(r))
        .Unary<StatfsRequest, StatfsReply>(MdsMethods.Statfs, (r, _) => Statfs(r))
        .Unary<FidRequest, LayoutReply>(MdsMethods.GetLayout, (r, _) => GetLayout(r))
        .Unary<LayoutIntentRequest, LayoutReply>(MdsMethods.LayoutIntent, (r, _) => LayoutIntent(r))
        .Unary<MirrorExtendRequest, LayoutReply>(MdsMethods.MirrorExtend, (r, _) => MirrorExtend(r))
        .Unary<MirrorSplitRequest, LayoutReply>(MdsMethods.MirrorSplit, (r, _) => MirrorSplit(r))
        .Unary<ResyncDoneRequest, LayoutReply>(MdsMethods.ResyncDone, (r, _) => ResyncDone(r))
        .Unary<SwapLayoutsRequest, LayoutReply>(MdsMethods.SwapLayouts, (r, _) => SwapLayouts(r))
        .Unary<ChangelogRegisterRequest, ChangelogRegisterReply>(MdsMethods.ChangelogRegister, (r, _) => ChangelogRegister(r))
        .Unary<ChangelogReadRequest, ChangelogReadReply>(MdsMethods.ChangelogRead, (r, _) => ChangelogRead(r))
        .Unary<ChangelogClearRequest, Empty>(MdsMethods.ChangelogClear, (r, _) => ChangelogClear(r))
        .Unary<RegisterOstRequest, Empty>(MdsMethods.RegisterOst, (r, _) => RegisterOst(r))
        .Unary<Empty, ListOstsReply>(MdsMethods.ListOsts, (r, _) => ListOsts(r))
        .Unary<SetFaultRequest, SetFaultReply>(MdsMethods.SetFault, (r, _) => SetFault(r))
        .Unary<LockEnqueueRequest, LockEnqueueReply>(MdsMethods.LockEnqueue, (r, c) => LockEnqueue(r, c.CancellationToken))
        .Unary<LockCancelRequest, Empty>(MdsMethods.LockCancel, (r, _) => LockCancel(r))
        .ServerStreaming<CallbacksRequest, LockCallback>(MdsMethods.Callbacks, (r, w, c) => Callbacks(r, w, c.CancellationToken))
        .Unary<PingRequest, PingReply>(MdsMethods.Ping, (r, _) => Ping(r))
        .Unary<LockReplayRequest, LockReplayReply>(MdsMethods.LockReplay, (r, c) => LockReplay(r, c.CancellationToken))
        .Unary<SetMirrorFlagsRequest, LayoutReply>(MdsMethods.SetMirrorFlags, (r, _) => SetMirrorFlags(r))
        .Unary<Empty, ListEpochsReply>(MdsMethods.ListEpochs, (r, _) => ListEpochs(r))
        .Unary<EvictClientRequest, Empty>(MdsMethods.EvictClient, (r, _) => EvictClient(r))
        .Unary<LinkRequest, Attr>(MdsMethods.Link, (r, _) => Link(r))
        .Unary<XattrRequest, XattrReply>(MdsMethods.GetXattr, (r, _) => GetXattr(r))
        .Unary<SetXattrRequest, Empty>(MdsMethods.SetXattr, (r, _) => SetXattr(r))
        .Unary<FidRequest, ListXattrReply>(MdsMethods.ListXattr, (r, _) => ListXattr(r))
        .Unary<XattrRequest, Empty>(MdsMethods.RemoveXattr, (r, _) => RemoveXattr(r))
        .Unary<CreateVolumeRequest, VolumeInfo>(MdsMethods.CreateVolume, (r, _) => CreateVolume(r))
        .Unary<VolumeRequest, VolumeInfo>(MdsMethods.GetVolume, (r, _) => GetVolume(r))
        .Unary<Empty, ListVolumesReply>(MdsMethods.ListVolumes, (r, _) => ListVolumes(r))
        .Unary<VolumeRequest, Empty>(MdsMethods.DeleteVolume, (r, _) => DeleteVolume(r))
        .Unary<ResizeVolumeRequest, VolumeInfo>(MdsMethods.ResizeVolume, (r, _) => ResizeVolume(r))
        .Unary<ReserveSpaceRequest, ReserveSpaceReply>(MdsMethods.ReserveSpace, (r, _) => ReserveSpace(r));

    /// <summary>host:port of the bulk channel told to clients in ConnectReply (set by Host/MdsHost once it listens); empty = none.</summary>
    public string BulkAddress { get; set; } = "";

    /// <summary>Connect (IWM §2.2.5): a durable client id; during recovery a known uuid gets its id back.</summary>
    public async Task<ConnectReply> Connect(ConnectRequest request)
    {
        var result = await core.Clients.ConnectAsync(request.ClientUuid, request.IwmAware);
        return new ConnectReply
        {
            ClientId = result.ClientId,
            MdsBootId = core.BootId,
            LeaseMs = (uint)core.Clients.Lease.TotalMilliseconds,
            Recovering = result.Recovering,
            Reconnected = result.Reconnected,
            BulkAddress = BulkAddress,
        };
    }

    public Task<Attr> Lookup(LookupRequest r) => Task.FromResult(Attr(core.Namespace.Lookup(Fid(r.Parent), r.Name)));

    public Task<Attr> ResolvePath(PathRequest r) => Task.FromResult(Attr(core.Namespace.ResolvePath(r.Path)));

    public Task<Attr> GetAttr(FidRequest r) => Task.FromResult(Attr(core.Namespace.GetAttr(Fid(r.Fid))));

    public async Task<Attr> SetAttr(SetAttrRequest r) => Attr(await core.Namespace.SetAttrAsync(
        new SetAttrArgs(Fid(r.Fid), r.Valid, r.Mode, r.Uid, r.Gid, r.Size, r.AtimeNs, r.MtimeNs, r.CtimeNs)));

    public async Task<Attr> UpdateSize(UpdateSizeRequest r) => Attr(await core.Namespace.UpdateSizeAsync(Fid(r.Fid), r.Size, r.MtimeNs));

    public Task<CreateReply> Create(CreateRequest r) => CreateAs(r, InodeType.Regular);

    public Task<CreateReply> Mkdir(CreateRequest r) => CreateAs(r, InodeType.Directory);

    public Task<CreateReply> Symlink(CreateRequest r) => CreateAs(r, InodeType.Symlink);

    public Task<ReaddirReply> Readdir(ReaddirRequest r)
    {
        var max = (int)Math.Min(r.MaxEntries, int.MaxValue);
        var reply = new ReaddirReply();
        if (r.WithAttrs)
        {
            var (entries, eof) = core.Namespace.ReaddirPlus(Fid(r.Fid), r.Cookie, max);
            reply.Eof = eof;
            reply.Entries.AddRange(entries.Select(e => Entry(e.Entry, e.Attr)));
        }
        else
        {
            var (entries, eof) = core.Namespace.Readdir(Fid(r.Fid), r.Cookie, max);
            reply.Eof = eof;
            reply.Entries.AddRange(entries.Select(e => Entry(e)));
        }

        return Task.FromResult(reply);
    }

    // Namespace changes return the directories' attributes as of the commit (NFSv3 wcc data), so a mount can
    // answer its kernel's next GETATTR of the directory, which every change in it invalidates, without a call.
    public async Task<NamespaceReply> Unlink(NameRequest r) =>
        new() { ParentAttr = Attr(await core.Namespace.UnlinkAsync(Fid(r.Parent), r.Name)) };

    public async Task<NamespaceReply> Rmdir(NameRequest r) =>
        new() { ParentAttr = Attr(await core.Namespace.RmdirAsync(Fid(r.Parent), r.Name)) };

    public async Task<NamespaceReply> Rename(RenameRequest r)
    {
        var (src, dst) = await core.Namespace.RenameAsync(Fid(r.SrcParent), r.SrcName, Fid(r.DstParent), r.DstName, r.Flags);
        return new NamespaceReply { ParentAttr = Attr(src), DstParentAttr = Attr(dst) };
    }

    public Task<LayoutReply> GetLayout(FidRequest r) => Task.FromResult(LayoutReply(core.Layouts.GetLayout(Fid(r.Fid))));

    public async Task<LayoutReply> LayoutIntent(LayoutIntentRequest r) =>
        Ordered(r.ClientId, LayoutReply(await core.EpochLayouts.IntentAsync(Fid(r.Fid), (LayoutIntent)r.Op)));

    public async Task<LayoutReply> MirrorExtend(MirrorExtendRequest r) =>
        LayoutReply(await core.EpochLayouts.ExtendAsync(Fid(r.Fid), Spec(r.Mirrors), Fid(r.Victim), r.ExpectedGeneration));

    public async Task<LayoutReply> MirrorSplit(MirrorSplitRequest r)
    {
        if (r.MirrorId is 0 or > ushort.MaxValue)
        {
            throw new MirrorException(Errno.EINVAL, $"no mirror {r.MirrorId} in {Fid(r.Fid)}");
        }

        return LayoutReply(await core.EpochLayouts.SplitAsync(Fid(r.Fid), (ushort)r.MirrorId, r.Destroy, Fid(r.SplitParent), r.SplitName));
    }

    public async Task<LayoutReply> ResyncDone(ResyncDoneRequest r) =>
        LayoutReply(await core.Layouts.ResyncDoneAsync(Fid(r.Fid), r.Generation, r.SyncedMirrorIds.ToArray(), r.Size));

    public async Task<LayoutReply> SwapLayouts(SwapLayoutsRequest r) =>
        LayoutReply(await core.EpochLayouts.SwapAsync(Fid(r.Fid), Fid(r.Donor), r.ExpectedDataVersion));

    public async Task<ChangelogRegisterReply> ChangelogRegister(ChangelogRegisterRequest r)
    {
        var consumer = await core.Changelog.RegisterAsync(r.Name);
        return new ChangelogRegisterReply { Consumer = consumer.Id, ClearedIndex = consumer.ClearedIndex };
    }

    public Task<ChangelogReadReply> ChangelogRead(ChangelogReadRequest r)
    {
        var (records, last) = core.Changelog.Read(r.AfterIndex, (int)Math.Min(r.MaxRecords, int.MaxValue));
        var reply = new ChangelogReadReply { LastIndex = last };
        reply.Records.AddRange(records.Select(Record));
        return Task.FromResult(reply);
    }

    public async Task<Empty> ChangelogClear(ChangelogClearRequest r)
    {
        await core.Changelog.ClearAsync(r.Consumer, r.UpToIndex);
        return new Empty();
    }

    public async Task<Empty> RegisterOst(RegisterOstRequest r)
    {
        try
        {
            await core.Registry.RegisterAsync(Ost(r));
        }
        catch (MirrorException e) when (e.Errno == Errno.EEXIST)
        {
            // Two OSTs claiming one index is a deployment error, not a name clash: FAILED_PRECONDITION.
            throw new RpcException(StatusCode.FailedPrecondition, e.Message, Errno.EEXIST);
        }

        return new Empty();
    }

    public Task<ListOstsReply> ListOsts(Empty r)
    {
        var reply = new ListOstsReply();
        reply.Osts.AddRange(core.Model.Read(() => core.Registry.List()).Select(o => OstInfo(o.Ost, o.Up)));
        return Task.FromResult(reply);
    }

    public Task<SetFaultReply> SetFault(SetFaultRequest r)
    {
        FaultSpec spec;
        try
        {
            spec = FaultPoints.ParseSpec(r.Action) with { DelayMs = r.DelayMs, Remaining = r.Count == 0 ? -1 : r.Count };
        }
        catch (FormatException e)
        {
            throw new MirrorException(Errno.EINVAL, $"fault {r.Name}: {e.Message}");
        }

        FaultPoints.Set(r.Name, spec);
        return Task.FromResult(new SetFaultReply());
    }

    private async Task<CreateReply> CreateAs(CreateRequest r, InodeType type)
    {
        var (attr, created, parent) = await core.Namespace.CreateAsync(new CreateArgs(Fid(r.Parent), r.Name, type, r.Mode, r.Uid, r.Gid,
            r.Exclusive, type == InodeType.Regular ? Spec(r.Layout) : null, type == InodeType.Symlink ? r.SymlinkTarget : null));
        var reply = new CreateReply { Attr = Attr(attr), Created = created, ParentAttr = Attr(parent) };
        if (attr.Layout is not null)
        {
            reply.Layout = LayoutConvert.ToProto(attr.Layout);
        }

        return reply;
    }
}
