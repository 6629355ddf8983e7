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

    public static Layout ToProto(StoredLayout stored)
    {
        var layout = stored.Layout;
        var msg = new Layout
        {
            Generation = layout.Generation,
            State = (FlrStateMsg)layout.State,
            StateOnlyChange = layout.StateOnlyChange,
        };
        foreach (var mirror in layout.Mirrors)
        {
            var m = new Protocol.Mds.Mirror { Id = mirror.Id, Flags = (uint)mirror.Flags };
            foreach (var c in mirror.Components)
            {
                var cm = new Component
                {
                    Id = c.Id,
                    Start = c.Start,
                    End = c.End,
                    StripeCount = c.StripeCount,
                    StripeSize = c.StripeSize,
                    Pool = c.Pool,
                    Geometry = (uint)c.Geometry,
                    ParityCount = c.ParityCount,
                };
                cm.Osts.AddRange(c.Osts.Select(o => (uint)o));
                if (stored.ForeignObjects.TryGetValue(c.Id, out var obj))
                {
                    cm.ObjectFid = ToMsg(obj.Fid);
                    cm.ObjectComponentId = obj.ComponentId;
                }

                m.Components.Add(cm);
            }

            msg.Mirrors.Add(m);
        }

        return msg;
    }

    /// <param name="owner">The file the layout belongs to (object refs equal to it are implicit).</param>
    public static StoredLayout FromProto(Layout msg, Fid owner)
    {
        var foreign = new Dictionary<uint, ObjectRef>();
        var mirrors = new List<LayoutMirror>();
        foreach (var m in msg.Mirrors)
        {
            var components = new List<LayoutComponent>();
            foreach (var c in m.Components)
            {
                components.Add(new LayoutComponent
                {
                    Id = c.Id,
                    Start = c.Start,
                    End = c.End,
                    StripeCount = c.StripeCount,
                    StripeSize = c.StripeSize,
                    Pool = c.Pool,
                    Osts = c.Osts.Select(o => (int)o).ToArray(),
                    Geometry = (GeometryKind)c.Geometry,
                    ParityCount = c.ParityCount,
                });
                var objectFid = FromMsg(c.ObjectFid);
                if (!objectFid.IsZero)
                {
                    foreign[c.Id] = new ObjectRef(objectFid, c.ObjectComponentId == 0 ? c.Id : c.ObjectComponentId);
                }
            }

            mirrors.Add(new LayoutMirror { Id = (ushort)m.Id, Flags = (MirrorFlags)m.Flags, Components = components });
        }

        var layout = new FileLayout
        {
            Generation = msg.Generation,
            State = (FlrState)msg.State,
            StateOnlyChange = msg.StateOnlyChange,
            Mirrors = mirrors,
        };
        return new StoredLayout(layout, StoredLayout.Normalize(owner, foreign, layout));
    }

    public static byte[] ToBytes(StoredLayout stored) => ToProto(stored).ToByteArray();

    public static StoredLayout FromBytes(byte[] bytes, Fid owner) => FromProto(Layout.Parser.ParseFrom(bytes), owner);
}
