using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Mds.Changelog;
using Mirror.Mds.Namespace;
using Mirror.Mds.Store;

namespace Mirror.Mds.Layouts;

/// <summary>The layout intents a client sends (mds.proto LayoutIntentOp).</summary>
public enum LayoutIntent
{
    None = 0,
    Write = 1,
    Resync = 2,
}

/// <summary>
/// Layout changes of regular files (Lustre lod + the FLR parts of mdd): new layouts, write and resync intents,
/// resync done, mirror extend/split, swap layouts. State moves only through <see cref="FlrTransitions"/>;
/// this class validates, applies under the model lock, and writes the changelog in the same transaction.
/// </summary>
public sealed partial class LayoutOperations(MdsModel model, NamespaceTree tree, LayoutBuilder builder)
{
    /// <summary>A new file's layout at generation 1 (default: one mirror, one stripe). Call under the lock.</summary>
    public StoredLayout NewLayout(Fid fid, IReadOnlyList<MirrorRequest>? spec)
    {
        var mirrors = builder.Build(fid, spec is { Count: > 0 } ? spec : LayoutDefaults.Default, null, MirrorFlags.None);
        var layout = new FileLayout { Generation = 1, State = FlrState.ReadOnly, Mirrors = mirrors };
        LayoutRules.Validate(layout);
        return new StoredLayout(layout);
    }

    public InodeRecord GetLayout(Fid fid) => model.Read(() => tree.RegularFile(fid).Snapshot());

    public Task<InodeRecord> IntentAsync(Fid fid, LayoutIntent intent) => model.MutateAsync(m =>
    {
        var inode = tree.RegularFile(fid);
        var stored = inode.Layout!;
        switch (intent)
        {
            case LayoutIntent.None:
                return inode.Snapshot();
            case LayoutIntent.Write:
                var outcome = FlrTransitions.WriteIntent(fid, stored.Layout);
                inode.DataVersion++;
                if (outcome.Changed is not null)
                {
                    inode.Layout = stored with { Layout = outcome.Changed };
                    m.Log(ChangelogKind.Flrw, fid, inode.Parent, inode.Name, $"gen={outcome.Changed.Generation}", outcome.MirrorIds);
                }

                m.Save(inode);
                return inode.Snapshot();
            case LayoutIntent.Resync:
                var resync = FlrTransitions.ResyncStart(stored.Layout);
                if (resync.Changed is not null)
                {
                    inode.Layout = stored with { Layout = resync.Changed };
                    m.Save(inode);
                }

                return inode.Snapshot();
            default:
                throw new MirrorException(Errno.EINVAL, $"unknown layout intent {(int)intent}");
        }
    });

    public Task<InodeRecord> ResyncDoneAsync(Fid fid, uint generation, IReadOnlyList<uint> synced, ulong size) => model.MutateAsync(m =>
    {
        var inode = tree.RegularFile(fid);
        var outcome = FlrTransitions.ResyncDone(fid, inode.Layout!.Layout, generation, synced);
        if (outcome.Changed is null)
        {
            return inode.Snapshot();
        }

        inode.Layout = inode.Layout with { Layout = outcome.Changed };
        if (size > inode.Size)
        {
            inode.Size = size;
        }

        m.Save(inode);
        m.Log(ChangelogKind.Resync, fid, inode.Parent, inode.Name, $"gen={outcome.Changed.Generation} size={size}", outcome.MirrorIds);
        return inode.Snapshot();
    });

    /// <summary>
    /// Swaps the layouts of two regular files (migrate: the donor holds the copied data). Both generations end
    /// above both old ones, so no client keeps a cached layout of either file.
    /// </summary>
    public Task<InodeRecord> SwapAsync(Fid fid, Fid donorFid, ulong expectedDataVersion) => model.MutateAsync(m =>
    {
        if (fid == donorFid)
        {
            throw new MirrorException(Errno.EINVAL, $"cannot swap the layout of {fid} with itself");
        }

        var file = tree.RegularFile(fid);
        var donor = tree.RegularFile(donorFid);
        if (expectedDataVersion != 0 && file.DataVersion != expectedDataVersion)
        {
            throw new MirrorException(Errno.ESTALE,
                $"{fid} was written during the migration: data version {file.DataVersion}, expected {expectedDataVersion}");
        }

        var generation = checked(Math.Max(file.Layout!.Generation, donor.Layout!.Generation) + 1);
        var fileLayout = file.Layout;
        var donorLayout = donor.Layout;
        var lastMirror = Math.Max(fileLayout.LastMirrorId, donorLayout.LastMirrorId);
        var lastComponent = Math.Max(fileLayout.LastComponentId, donorLayout.LastComponentId);
        file.Layout = Rehome(donorLayout, donorFid, fid, generation) with { LastMirrorId = lastMirror, LastComponentId = lastComponent };
        donor.Layout = Rehome(fileLayout, fid, donorFid, generation) with { LastMirrorId = lastMirror, LastComponentId = lastComponent };
        file.CtimeNs = donor.CtimeNs = m.NowNs;
        m.Save(file);
        m.Save(donor);
        m.Log(ChangelogKind.Layout, fid, file.Parent, file.Name, $"swap with {donorFid} gen={generation}");
        m.Log(ChangelogKind.Layout, donorFid, donor.Parent, donor.Name, $"swap with {fid} gen={generation}");
        return file.Snapshot();
    });

    /// <summary>Moves a layout from one file to another, keeping every component pointed at the objects it had.</summary>
    internal static StoredLayout Rehome(StoredLayout layout, Fid from, Fid to, uint generation)
    {
        var objects = layout.ResolvedObjects(from, layout.Layout.Mirrors);
        var moved = FlrTransitions.Replace(layout.Layout, generation);
        return new StoredLayout(moved, StoredLayout.Normalize(to, objects, moved));
    }
}
