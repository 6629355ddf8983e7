using Mirror.Core;
using Mirror.Core.Layouts;
using Mirror.Mds.Changelog;
using Mirror.Mds.Layouts;
using Mirror.Mds.Namespace;
using Mirror.Protocol.Mds;

namespace Mirror.Mds.Service;

/// <summary>mds.proto ↔ domain for everything but layouts (those are in <see cref="LayoutConvert"/>).</summary>
public static class ProtoConvert
{
    public static Fid Fid(Protocol.FidMsg? msg) => LayoutConvert.FromMsg(msg);

    public static Protocol.FidMsg Msg(Fid fid) => LayoutConvert.ToMsg(fid);

    public static Attr Attr(InodeRecord i) => new()
    {
        Fid = Msg(i.Fid),
        Type = (FileType)i.Type,
        Mode = i.Mode,
        Uid = i.Uid,
        Gid = i.Gid,
        Size = i.Size,
        Nlink = i.Nlink,
        AtimeNs = i.AtimeNs,
        MtimeNs = i.MtimeNs,
        CtimeNs = i.CtimeNs,
        LayoutGeneration = i.Layout?.Generation ?? 0,
        SymlinkTarget = i.SymlinkTarget ?? "",
        DataVersion = i.DataVersion,
    };

    public static LayoutReply LayoutReply(InodeRecord i) => new() { Attr = Attr(i), Layout = LayoutConvert.ToProto(i.Layout!) };

    public static IReadOnlyList<MirrorRequest>? Spec(LayoutSpec? spec) => LayoutConvert.Requests(spec);

    public static Protocol.Mds.DirEntry Entry(Namespace.DirEntry e, InodeRecord? attr = null)
    {
        var entry = new Protocol.Mds.DirEntry { Name = e.Name, Fid = Msg(e.Fid), Type = (FileType)e.Type, Cookie = e.Cookie };
        if (attr is not null)
        {
            entry.Attr = Attr(attr);
        }

        return entry;
    }

    public static VolumeInfo Volume(Volumes.VolumeRecord v)
    {
        var info = new VolumeInfo
        {
            Name = v.Name,
            Root = Msg(v.Root),
            CapacityBytes = v.Capacity,
            UsedBytes = v.Used,
            Owner = v.Owner,
            Path = v.Path,
            Files = (ulong)v.Files,
            CreatedNs = v.CreatedNs,
        };
        if (v.Layout is not null)
        {
            info.Layout = v.Layout;
        }

        return info;
    }

    public static ChangelogRecord Record(ChangelogEntry e)
    {
        var r = new ChangelogRecord
        {
            Index = e.Index,
            Type = (ChangelogType)e.Kind,
            TimeNs = e.TimeNs,
            Fid = Msg(e.Fid),
            Parent = Msg(e.Parent),
            Name = e.Name,
            Detail = e.Detail,
        };
        r.MirrorIds.AddRange(e.MirrorIds);
        return r;
    }

    public static OstRecord Ost(RegisterOstRequest r) =>
        new(r.Index, r.Address, r.Pool, r.Labels.ToArray(), r.FailureDomain, r.TotalBytes, r.FreeBytes, r.Uuid, 0);

    public static OstInfo OstInfo(OstRecord o, bool up)
    {
        var info = new OstInfo
        {
            Index = o.Index,
            Address = o.Address,
            Pool = o.Pool,
            FailureDomain = o.FailureDomain,
            TotalBytes = o.TotalBytes,
            FreeBytes = o.FreeBytes,
            Up = up,
            LastSeenNs = o.LastSeenNs,
            Uuid = o.Uuid,
        };
        info.Labels.AddRange(o.Labels);
        return info;
    }
}
