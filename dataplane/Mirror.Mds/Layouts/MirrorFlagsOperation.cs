using Mirror.Core;
using Mirror.Core.Layouts;
using Mirror.Mds.Changelog;
using Mirror.Mds.Namespace;

namespace Mirror.Mds.Layouts;

/// <summary>SetMirrorFlags (IWM §1.2: IMMEDIATE is set at creation or later by a layout change; §4.2 tiering).</summary>
public sealed partial class LayoutOperations
{
    public Task<InodeRecord> SetMirrorFlagsAsync(Fid fid, ushort mirrorId, MirrorFlags set, MirrorFlags clear) => model.MutateAsync(m =>
    {
        var inode = tree.RegularFile(fid);
        var outcome = FlrTransitions.SetMirrorFlags(fid, inode.Layout!.Layout, mirrorId, set, clear);
        if (outcome.Changed is null)
        {
            return inode.Snapshot();
        }

        inode.Layout = inode.Layout with { Layout = outcome.Changed };
        inode.CtimeNs = m.NowNs;
        m.Save(inode);
        m.Log(ChangelogKind.Layout, fid, inode.Parent, inode.Name,
            $"mirror {mirrorId} flags {MirrorFlagNames.Format(outcome.Changed.Mirror(mirrorId)!.Flags)} gen={outcome.Changed.Generation}", outcome.MirrorIds);
        return inode.Snapshot();
    });
}
