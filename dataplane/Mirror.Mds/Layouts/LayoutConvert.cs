using Google.Protobuf;
using Mirror.Core;
using Mirror.Core.Layouts;
using Mirror.Protocol;
using Mirror.Protocol.Mds;

namespace Mirror.Mds.Layouts;

/// <summary>
/// The one place where layouts cross between the domain (Mirror.Core.Layouts) and mds.proto: replies, and the
/// stored form (the proto <c>Layout</c> message is also the on-disk encoding in the inodes table).
/// </summary>
public static class LayoutConvert
{
    public static FidMsg ToMsg(Fid fid) => new() { Seq = fid.Sequence, Oid = fid.ObjectId, Ver = fid.Version };

    public static Fid FromMsg(FidMsg? msg) => msg is null ? default : new Fid(msg.Seq, msg.Oid, msg.Ver);

    /// <summary>The wire/stored form: the shared conversion, with each foreign component naming its objects' owner.</summary>
    public static Layout ToProto(StoredLayout stored)
    {
        var layout = stored.ForeignObjects.Count == 0 ? stored.Layout : stored.Layout with
        {
            Mirrors = stored.Layout.Mirrors.Select(m => m with
            {
                Components = m.Components.Select(c => stored.ForeignObjects.TryGetValue(c.Id, out var obj)
                    ? c with { ObjectFid = obj.Fid, ObjectComponentId = obj.ComponentId }
                    : c).ToArray(),
            }).ToArray(),
        };
        return layout.ToMsg();
    }

    /// <param name="msg">A layout message (reply or stored form).</param>
    /// <param name="owner">The file the layout belongs to (object refs equal to it are implicit).</param>
    public static StoredLayout FromProto(Layout msg, Fid owner)
    {
        // In MDS memory the object owners live in ForeignObjects, not on the components.
        var model = msg.ToModel();
        var foreign = new Dictionary<uint, ObjectRef>();
        foreach (var c in model.Mirrors.SelectMany(m => m.Components).Where(c => !c.ObjectFid.IsZero))
        {
            foreign[c.Id] = new ObjectRef(c.ObjectFid, c.ObjectComponentId == 0 ? c.Id : c.ObjectComponentId);
        }

        var layout = model with
        {
            Mirrors = model.Mirrors.Select(m => m with
            {
                Components = m.Components.Select(c => c with { ObjectFid = default, ObjectComponentId = 0 }).ToArray(),
            }).ToArray(),
        };
        return new StoredLayout(layout, StoredLayout.Normalize(owner, foreign, layout));
    }

    /// <summary>What a user asked for (mds.proto LayoutSpec) as layout requests; null when it asks nothing.</summary>
    public static IReadOnlyList<MirrorRequest>? Requests(LayoutSpec? spec) =>
        spec is null || spec.Mirrors.Count == 0
            ? null
            : spec.Mirrors.Select(m => new MirrorRequest((MirrorFlags)m.Flags,
                m.Components.Select(c => new ComponentRequest(c.End, c.StripeCount, c.StripeSize, c.Pool, c.Osts.Select(o => (int)o).ToArray())).ToArray())).ToArray();

    public static byte[] ToBytes(StoredLayout stored) => ToProto(stored).ToByteArray();

    public static StoredLayout FromBytes(byte[] bytes, Fid owner) => FromProto(Layout.Parser.ParseFrom(bytes), owner);
}
