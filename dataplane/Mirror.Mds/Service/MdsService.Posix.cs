using Google.Protobuf;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Service.ProtoConvert;

namespace Mirror.Mds.Service;

/// <summary>Handlers a POSIX mount needs: hard links, extended attributes, statfs per volume, volumes and the quota grant.</summary>
public sealed partial class MdsService
{
    /// <summary>statfs block size: total/free bytes are reported in these units by the mount.</summary>
    public const uint StatfsBlockSize = 4096;

    /// <summary>link(2): the file's attributes, with the new parent's as of the commit in <c>parent_attr</c>.</summary>
    public async Task<Attr> Link(LinkRequest r)
    {
        var (attr, parent) = await core.Namespace.LinkAsync(Fid(r.Fid), Fid(r.NewParent), r.NewName);
        var reply = Attr(attr);
        reply.ParentAttr = Attr(parent);
        return reply;
    }

    public Task<XattrReply> GetXattr(XattrRequest r) =>
        Task.FromResult(new XattrReply { Value = ByteString.CopyFrom(core.Namespace.GetXattr(Fid(r.Fid), r.Name)) });

    public async Task<Empty> SetXattr(SetXattrRequest r)
    {
        await core.Namespace.SetXattrAsync(Fid(r.Fid), r.Name, r.Value.ToByteArray(), r.Flags);
        return new Empty();
    }

    public Task<ListXattrReply> ListXattr(FidRequest r)
    {
        var reply = new ListXattrReply();
        reply.Names.AddRange(core.Namespace.ListXattr(Fid(r.Fid)));
        return Task.FromResult(reply);
    }

    public async Task<Empty> RemoveXattr(XattrRequest r)
    {
        await core.Namespace.RemoveXattrAsync(Fid(r.Fid), r.Name);
        return new Empty();
    }

    /// <summary>
    /// The whole file system (no fid, no volume), or the volume named or holding the fid: its capacity is the
    /// total and capacity - used the free space (never more than the OSTs have free).
    /// </summary>
    public Task<StatfsReply> Statfs(StatfsRequest r)
    {
        var volume = r.Volume.Length > 0 ? core.Volumes.Get(r.Volume) : r.Fid is null ? null : core.Volumes.Of(Fid(r.Fid));
        return Task.FromResult(core.Model.Read(() =>
        {
            var osts = core.Registry.List();
            var clusterFree = osts.Aggregate(0UL, (sum, o) => sum + o.Ost.FreeBytes);
            var reply = new StatfsReply
            {
                TotalBytes = osts.Aggregate(0UL, (sum, o) => sum + o.Ost.TotalBytes),
                FreeBytes = clusterFree,
                Files = (ulong)core.Model.Inodes.Count,
                OstCount = (uint)osts.Count,
                OstsUp = (uint)osts.Count(o => o.Up),
                BlockSize = StatfsBlockSize,
                NameMax = Namespace.NameRules.MaxNameBytes,
            };
            if (volume is not null)
            {
                reply.Volume = volume.Name;
                reply.TotalBytes = volume.Capacity;
                reply.UsedBytes = volume.Used;
                reply.FreeBytes = Math.Min(volume.Capacity - Math.Min(volume.Capacity, volume.Used), clusterFree);
                reply.Files = (ulong)volume.Files;
            }

            return reply;
        }));
    }

    public async Task<VolumeInfo> CreateVolume(CreateVolumeRequest r) =>
        Volume(await core.Volumes.CreateAsync(r.Name, r.CapacityBytes, r.Owner, r.Layout));

    public Task<VolumeInfo> GetVolume(VolumeRequest r) => Task.FromResult(Volume(core.Volumes.Get(r.Name)));

    public Task<ListVolumesReply> ListVolumes(Empty r)
    {
        var reply = new ListVolumesReply();
        reply.Volumes.AddRange(core.Volumes.List().Select(Volume));
        return Task.FromResult(reply);
    }

    public async Task<Empty> DeleteVolume(VolumeRequest r)
    {
        await core.Volumes.DeleteAsync(r.Name, r.Force);
        return new Empty();
    }

    public async Task<VolumeInfo> ResizeVolume(ResizeVolumeRequest r) => Volume(await core.Volumes.ResizeAsync(r.Name, r.CapacityBytes));

    public async Task<ReserveSpaceReply> ReserveSpace(ReserveSpaceRequest r)
    {
        var granted = await core.Volumes.ReserveAsync(Fid(r.Fid), r.NewEnd);
        return granted == ulong.MaxValue ? new ReserveSpaceReply { Unlimited = true } : new ReserveSpaceReply { GrantedEnd = granted };
    }
}
