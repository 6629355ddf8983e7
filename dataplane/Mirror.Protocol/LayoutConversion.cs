using Mirror.Core;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;
using MirrorMsg = Mirror.Protocol.Mds.Mirror;

namespace Mirror.Protocol;

/// <summary>
/// Wire ↔ model conversions of mds.proto layouts and FIDs (the values of both are the same numbers): the
/// one place both the client and the MDS turn Layout messages into Mirror.Core layouts and back.
/// </summary>
public static class LayoutConversion
{
    public static Fid ToFid(this FidMsg? msg) => msg is null ? default : new Fid(msg.Seq, msg.Oid, msg.Ver);

    public static FidMsg ToMsg(this Fid fid) => new() { Seq = fid.Sequence, Oid = fid.ObjectId, Ver = fid.Version };

    public static FileLayout ToModel(this Layout msg) => new()
    {
        Generation = msg.Generation,
        State = (FlrState)(int)msg.State,
        StateOnlyChange = msg.StateOnlyChange,
        Mirrors = msg.Mirrors.Select(m => new LayoutMirror
        {
            Id = checked((ushort)m.Id),
            Flags = (MirrorFlags)m.Flags,
            Components = m.Components.Select(c => new LayoutComponent
            {
                Id = c.Id,
                Start = c.Start,
                End = c.End,
                StripeCount = c.StripeCount,
                StripeSize = c.StripeSize,
                Pool = c.Pool,
                Osts = c.Osts.Select(o => checked((int)o)).ToArray(),
                Geometry = (GeometryKind)c.Geometry,
                ParityCount = c.ParityCount,
                ObjectFid = c.ObjectFid.ToFid(),
                ObjectComponentId = c.ObjectComponentId,
            }).ToArray(),
        }).ToArray(),
    };

    public static Layout ToMsg(this FileLayout layout)
    {
        var msg = new Layout
        {
            Generation = layout.Generation,
            State = (FlrStateMsg)(int)layout.State,
            StateOnlyChange = layout.StateOnlyChange,
        };
        foreach (var m in layout.Mirrors)
        {
            var mirror = new MirrorMsg { Id = m.Id, Flags = (uint)m.Flags };
            foreach (var c in m.Components)
            {
                var component = new Component
                {
                    Id = c.Id,
                    Start = c.Start,
                    End = c.End,
                    StripeCount = c.StripeCount,
                    StripeSize = c.StripeSize,
                    Pool = c.Pool,
                    Geometry = (uint)c.Geometry,
                    ParityCount = c.ParityCount,
                    ObjectComponentId = c.ObjectComponentId,
                };
                if (!c.ObjectFid.IsZero)
                {
                    component.ObjectFid = c.ObjectFid.ToMsg();
                }

                component.Osts.AddRange(c.Osts.Select(o => checked((uint)o)));
                mirror.Components.Add(component);
            }

            msg.Mirrors.Add(mirror);
        }

        return msg;
    }
}
