using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Ost.Objects;
using Mirror.Protocol;
using Mirror.Protocol.Ost;

namespace Mirror.Ost.Service;

/// <summary>ost.proto messages ↔ the object store's types; rejects malformed ids with EINVAL.</summary>
internal static class ProtoMapping
{
    public static Fid ToFid(FidMsg? fid, string method)
    {
        if (fid is null)
        {
            throw new MirrorException(Errno.EINVAL, $"{method}: the request names no FID");
        }

        var value = new Fid(fid.Seq, fid.Oid, fid.Ver);
        return value.IsZero ? throw new MirrorException(Errno.EINVAL, $"{method}: FID {value} is zero") : value;
    }

    public static ObjectKey ToKey(ObjectId? id, string method)
    {
        if (id is null)
        {
            throw new MirrorException(Errno.EINVAL, $"{method}: the request names no object");
        }

        return new ObjectKey(ToFid(id.Fid, method), id.ComponentId, id.StripeIndex);
    }

    public static ObjectId ToProto(ObjectKey key) => new()
    {
        Fid = new FidMsg { Seq = key.Fid.Sequence, Oid = key.Fid.ObjectId, Ver = key.Fid.Version },
        ComponentId = key.ComponentId,
        StripeIndex = key.StripeIndex,
    };
}
