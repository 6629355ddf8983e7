using Mirror.Client.Metadata;
using Mirror.Core;
using Mirror.Core.Layouts;
using Mirror.Protocol;
using Mirror.Protocol.Mds;

namespace Mirror.Client.Tests.Fakes;

/// <summary>An MDS holding one directory ("/") and one file ("/f"), with FLR write intents as the MDS does them.</summary>
internal sealed class FakeMds
{
    public static readonly Fid FileFid = new(0x200000401, 1, 0);

    public FakeMds(FileLayout layout)
    {
        Layout = layout;
        Rpc = new FakeRpc("mds:1")
            .On<ConnectRequest, ConnectReply>(MdsMethods.Connect, _ => new ConnectReply { ClientId = 1 })
            .On<PathRequest, Attr>(MdsMethods.ResolvePath, r => r.Path == "/" ? DirAttr() : r.Path == "/f" ? FileAttr() : throw new Mirror.Rpc.RpcException(Mirror.Rpc.StatusCode.NotFound, "no such file", Core.Errors.Errno.ENOENT))
            .On<FidRequest, LayoutReply>(MdsMethods.GetLayout, _ => Reply())
            .On<FidRequest, Attr>(MdsMethods.GetAttr, _ => FileAttr())
            .On<LayoutIntentRequest, LayoutReply>(MdsMethods.LayoutIntent, r =>
            {
                Intents.Add(r.Op);
                if (r.Op == LayoutIntentOp.IntentWrite)
                {
                    DataVersion++;
                    if (Layout.IsMirrored && Layout.State != FlrState.WritePending)
                    {
                        var primary = Layout.PrimaryMirror()!.Id;
                        Layout = Layout with
                        {
                            Generation = Layout.Generation + 1,
                            State = FlrState.WritePending,
                            Mirrors = Layout.Mirrors.Select(m => m.Id == primary ? m : m with { Flags = m.Flags | MirrorFlags.Stale }).ToArray(),
                        };
                    }
                }

                return Reply();
            })
            .On<UpdateSizeRequest, Attr>(MdsMethods.UpdateSize, r =>
            {
                SizeUpdates.Add(r.Size);
                Size = Math.Max(Size, r.Size);
                return FileAttr();
            })
            .On<SetAttrRequest, Attr>(MdsMethods.SetAttr, r =>
            {
                if ((r.Valid & (uint)SetAttrValid.SetattrSize) != 0)
                {
                    Size = r.Size;
                }

                return FileAttr();
            });
    }

    public FakeRpc Rpc { get; }

    public FileLayout Layout { get; set; }

    public ulong Size { get; set; }

    public ulong DataVersion { get; set; }

    public List<LayoutIntentOp> Intents { get; } = [];

    public List<ulong> SizeUpdates { get; } = [];

    // ---- IWM lock state (FakeLockMds) ----
    public string BootId { get; set; } = "boot-1";

    public bool EvictOnPing { get; set; }

    public bool ReconnectAsKnown { get; set; }

    public bool EvictOnNextEnqueue { get; set; }

    public List<string> ConnectUuids { get; } = [];

    public ulong LastHandle { get; set; }

    public ulong EpochId { get; set; }

    public ulong LastEpochId { get; set; }

    public ushort ErrorMask { get; set; }

    public List<(ulong Handle, LockBit Bits)> Enqueues { get; } = [];

    public HashSet<ulong> HeldAw { get; } = [];

    public HashSet<ulong> HeldLayout { get; } = [];

    public List<(ulong Handle, byte[] Lvb)> AwCancels { get; } = [];

    public List<ulong> OtherCancels { get; } = [];

    public List<ushort> ClosedMasks { get; } = [];

    public List<HeldLock> Replayed { get; } = [];

    private LayoutReply Reply() => new() { Attr = FileAttr(), Layout = Layout.ToMsg() };

    private Attr FileAttr() => new()
    {
        Fid = FileFid.ToMsg(),
        Type = FileType.Regular,
        Size = Size,
        LayoutGeneration = Layout.Generation,
        DataVersion = DataVersion,
        Mode = 0x1A4,
    };

    private static Attr DirAttr() => new() { Fid = Fid.Root.ToMsg(), Type = FileType.Directory, Mode = 0x1ED };
}
