namespace Mirror.Protocol;

/// <summary>
/// Full gRPC method paths of the MDS service and the message types each takes and returns.
/// This table is the contract between Mirror.Mds (server) and Mirror.Client (caller).
/// </summary>
public static class MdsMethods
{
    public const string Service = "mirror.mds.Mds";

    public const string Connect = "/mirror.mds.Mds/Connect";                 // Mds.ConnectRequest → Mds.ConnectReply
    public const string Lookup = "/mirror.mds.Mds/Lookup";                   // LookupRequest → Attr
    public const string ResolvePath = "/mirror.mds.Mds/ResolvePath";         // PathRequest → Attr (does not follow a final symlink)
    public const string GetAttr = "/mirror.mds.Mds/GetAttr";                 // FidRequest → Attr
    public const string SetAttr = "/mirror.mds.Mds/SetAttr";                 // Mds.SetAttrRequest → Attr
    public const string UpdateSize = "/mirror.mds.Mds/UpdateSize";           // UpdateSizeRequest → Attr
    public const string Create = "/mirror.mds.Mds/Create";                   // CreateRequest → CreateReply (regular file; parent_attr = the parent)
    public const string Mkdir = "/mirror.mds.Mds/Mkdir";                     // CreateRequest → CreateReply
    public const string Symlink = "/mirror.mds.Mds/Symlink";                 // CreateRequest → CreateReply
    public const string Readdir = "/mirror.mds.Mds/Readdir";                 // ReaddirRequest → ReaddirReply
    public const string Unlink = "/mirror.mds.Mds/Unlink";                   // NameRequest → NamespaceReply (an Empty before: wire-compatible)
    public const string Rmdir = "/mirror.mds.Mds/Rmdir";                     // NameRequest → NamespaceReply (an Empty before)
    public const string Rename = "/mirror.mds.Mds/Rename";                   // RenameRequest → NamespaceReply (an Empty before)
    public const string Statfs = "/mirror.mds.Mds/Statfs";                   // StatfsRequest (an Empty is a valid one) → Mds.StatfsReply
    public const string GetLayout = "/mirror.mds.Mds/GetLayout";             // FidRequest → LayoutReply
    public const string LayoutIntent = "/mirror.mds.Mds/LayoutIntent";       // LayoutIntentRequest → LayoutReply
    public const string MirrorExtend = "/mirror.mds.Mds/MirrorExtend";       // MirrorExtendRequest → LayoutReply
    public const string MirrorSplit = "/mirror.mds.Mds/MirrorSplit";         // MirrorSplitRequest → LayoutReply
    public const string ResyncDone = "/mirror.mds.Mds/ResyncDone";           // ResyncDoneRequest → LayoutReply
    public const string SwapLayouts = "/mirror.mds.Mds/SwapLayouts";         // SwapLayoutsRequest → LayoutReply (of fid)
    public const string ChangelogRegister = "/mirror.mds.Mds/ChangelogRegister"; // ChangelogRegisterRequest → ChangelogRegisterReply
    public const string ChangelogRead = "/mirror.mds.Mds/ChangelogRead";     // ChangelogReadRequest → ChangelogReadReply
    public const string ChangelogClear = "/mirror.mds.Mds/ChangelogClear";   // ChangelogClearRequest → Empty
    public const string RegisterOst = "/mirror.mds.Mds/RegisterOst";         // RegisterOstRequest → Empty (also the OST heartbeat)
    public const string ListOsts = "/mirror.mds.Mds/ListOsts";               // Empty → ListOstsReply
    public const string SetFault = "/mirror.mds.Mds/SetFault";               // SetFaultRequest → SetFaultReply

    // POSIX mount support: hard links, extended attributes.
    public const string Link = "/mirror.mds.Mds/Link";                       // LinkRequest → Attr (of the file, nlink counted; parent_attr = the new parent)
    public const string GetXattr = "/mirror.mds.Mds/GetXattr";               // XattrRequest → XattrReply
    public const string SetXattr = "/mirror.mds.Mds/SetXattr";               // SetXattrRequest → Empty
    public const string ListXattr = "/mirror.mds.Mds/ListXattr";             // FidRequest → ListXattrReply
    public const string RemoveXattr = "/mirror.mds.Mds/RemoveXattr";         // XattrRequest → Empty

    // Volumes (filesets with a capacity quota, ARCHITECTURE §3) and the quota grant.
    public const string CreateVolume = "/mirror.mds.Mds/CreateVolume";       // CreateVolumeRequest → VolumeInfo
    public const string GetVolume = "/mirror.mds.Mds/GetVolume";             // VolumeRequest → VolumeInfo
    public const string ListVolumes = "/mirror.mds.Mds/ListVolumes";         // Empty → ListVolumesReply
    public const string DeleteVolume = "/mirror.mds.Mds/DeleteVolume";       // VolumeRequest → Empty
    public const string ResizeVolume = "/mirror.mds.Mds/ResizeVolume";       // ResizeVolumeRequest → VolumeInfo
    public const string ReserveSpace = "/mirror.mds.Mds/ReserveSpace";       // ReserveSpaceRequest → ReserveSpaceReply

    // Immediate Write Mirroring (design §2.2): locks, callbacks, leases, epochs.
    public const string LockEnqueue = "/mirror.mds.Mds/LockEnqueue";         // LockEnqueueRequest → LockEnqueueReply
    public const string LockCancel = "/mirror.mds.Mds/LockCancel";           // LockCancelRequest → Empty
    public const string Callbacks = "/mirror.mds.Mds/Callbacks";             // CallbacksRequest → stream LockCallback (server streaming)
    public const string Ping = "/mirror.mds.Mds/Ping";                       // PingRequest → PingReply
    public const string LockReplay = "/mirror.mds.Mds/LockReplay";           // LockReplayRequest → LockReplayReply
    public const string SetMirrorFlags = "/mirror.mds.Mds/SetMirrorFlags";   // SetMirrorFlagsRequest → LayoutReply
    public const string ListEpochs = "/mirror.mds.Mds/ListEpochs";           // Empty → ListEpochsReply
    public const string EvictClient = "/mirror.mds.Mds/EvictClient";         // EvictClientRequest → Empty
}

/// <summary>Full gRPC method paths of the OST service ("mirror.ost.Ost").</summary>
public static class OstMethods
{
    public const string Service = "mirror.ost.Ost";

    public const string Connect = "/mirror.ost.Ost/Connect";       // Ost.ConnectRequest → Ost.ConnectReply
    public const string Write = "/mirror.ost.Ost/Write";           // WriteRequest → WriteReply
    public const string Read = "/mirror.ost.Ost/Read";             // ReadRequest → ReadReply
    public const string Punch = "/mirror.ost.Ost/Punch";           // PunchRequest → ModifyReply
    public const string Fallocate = "/mirror.ost.Ost/Fallocate";   // FallocateRequest → ModifyReply
    public const string SetAttr = "/mirror.ost.Ost/SetAttr";       // Ost.SetAttrRequest → ModifyReply
    public const string GetAttr = "/mirror.ost.Ost/GetAttr";       // GetAttrRequest → GetAttrReply
    public const string Sync = "/mirror.ost.Ost/Sync";             // SyncRequest → SyncReply
    public const string Destroy = "/mirror.ost.Ost/Destroy";       // DestroyRequest → ModifyReply
    public const string DestroyFile = "/mirror.ost.Ost/DestroyFile"; // DestroyFileRequest → ModifyReply
    public const string Fence = "/mirror.ost.Ost/Fence";           // FenceRequest → FenceReply (IWM §2.2.6)
    public const string Statfs = "/mirror.ost.Ost/Statfs";         // Empty → Ost.StatfsReply
    public const string SetFault = "/mirror.ost.Ost/SetFault";     // SetFaultRequest → SetFaultReply
}
