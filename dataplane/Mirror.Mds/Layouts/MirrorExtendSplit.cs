using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Mds.Changelog;
using Mirror.Mds.Namespace;

namespace Mirror.Mds.Layouts;

/// <summary><c>lfs mirror extend</c> and <c>lfs mirror split</c> (flr-overview: Extend Mirror, Split Mirror).</summary>
public sealed partial class LayoutOperations
{
    /// <summary>
    /// Adds mirrors from a spec (placed away from the file's OSTs) or takes over a victim file's mirrors. New
    /// mirrors are STALE: nothing has copied data into them yet, and the MDS cannot verify a victim's data.
    /// </summary>
    public Task<InodeRecord> ExtendAsync(Fid fid, IReadOnlyList<MirrorRequest>? requests, Fid victimFid, uint expectedGeneration) => model.MutateAsync(m =>
    {
        var file = tree.RegularFile(fid);
        var stored = file.Layout!;
        if (expectedGeneration != 0 && expectedGeneration != stored.Generation)
        {
            throw new MirrorException(Errno.ESTALE, $"{fid} is at layout generation {stored.Generation}, not {expectedGeneration}");
        }

        var hasSpec = requests is { Count: > 0 };
        if (hasSpec == !victimFid.IsZero)
        {
            throw new MirrorException(Errno.EINVAL, "mirror extend takes either new mirrors or a victim file, exactly one of them");
        }

        var foreign = stored.ForeignObjects.ToDictionary();
        List<LayoutMirror> added;
        Inode? victim = null;
        if (hasSpec)
        {
            added = builder.Build(fid, requests!, stored, MirrorFlags.Stale);
        }
        else
        {
            if (victimFid == fid)
            {
                throw new MirrorException(Errno.EINVAL, $"{fid} cannot extend itself");
            }

            victim = tree.RegularFile(victimFid);
            if (victim.Nlink > 1)
            {
                // Its inode goes away with its one name below; other names would be left pointing at nothing.
                throw new MirrorException(Errno.EMLINK, $"victim {victimFid} has {victim.Nlink} hard links; remove the others first");
            }

            var total = stored.Layout.Mirrors.Count + victim.Layout!.Layout.Mirrors.Count;
            if (total > FileLayout.MaxMirrors)
            {
                throw new MirrorException(Errno.EINVAL, $"a file has at most {FileLayout.MaxMirrors} mirrors; {fid} would have {total}");
            }

            var nextMirror = stored.NextMirrorId();
            var nextComponent = stored.NextComponentId();
            added = [];
            foreach (var vm in victim.Layout.Layout.Mirrors)
            {
                var components = new List<LayoutComponent>();
                foreach (var c in vm.Components)
                {
                    foreign[nextComponent] = victim.Layout.ObjectsOf(victimFid, c.Id);
                    components.Add(c with { Id = nextComponent++ });
                }

                added.Add(new LayoutMirror { Id = nextMirror++, Flags = (vm.Flags & ~MirrorFlags.Inflight) | MirrorFlags.Stale, Components = components });
            }
        }

        var next = FlrTransitions.AddMirrors(stored.Layout, added);
        if (victim is not null && next.Generation <= victim.Layout!.Generation)
        {
            // OSTs refuse a layout generation below one an object has seen: the victim's objects have seen
            // the victim's generations, so the merged layout must be newer than both files' layouts.
            next = next with { Generation = checked(victim.Layout.Generation + 1) };
        }

        if (victim is not null)
        {
            // The victim's objects now belong to the file: drop its name and inode without orphaning anything.
            var victimDir = model.Get(victim.Parent);
            NamespaceTree.Unlink(m, victimDir, NamespaceTree.Entry(victimDir, victim.Name));
            m.Delete(victim);
            m.Log(ChangelogKind.Unlink, victimFid, victimDir.Fid, victim.Name, $"mirrors merged into {fid}");
        }

        file.Layout = stored.Successor(next, fid, foreign);
        file.CtimeNs = m.NowNs;
        m.Save(file);
        m.Log(ChangelogKind.Layout, fid, file.Parent, file.Name,
            $"extend gen={next.Generation}" + (victim is null ? "" : $" victim={victimFid}"), added.Select(a => (uint)a.Id).ToArray());
        return file.Snapshot();
    });

    /// <summary>
    /// Removes one mirror: destroys its objects (-d), or detaches it as a new single-mirror file, named
    /// <paramref name="splitName"/> in <paramref name="splitParent"/> (-f) or "NAME.mirror~ID" beside the file.
    /// </summary>
    public Task<InodeRecord> SplitAsync(Fid fid, ushort mirrorId, bool destroy, Fid splitParent, string? splitName) => model.MutateAsync(m =>
    {
        var file = tree.RegularFile(fid);
        var stored = file.Layout!;
        var next = FlrTransitions.RemoveMirror(fid, stored.Layout, mirrorId);
        var mirror = stored.Layout.Mirror(mirrorId)!;
        var named = !string.IsNullOrEmpty(splitName);
        if (destroy && named)
        {
            throw new MirrorException(Errno.EINVAL, "mirror split: destroy (-d) and a split file (-f) exclude each other");
        }

        string detail;
        if (destroy)
        {
            m.Orphan(stored.Objects(fid, [mirror]));
            detail = $"split mirror {mirrorId} destroyed";
        }
        else
        {
            var dir = tree.Directory(named ? (splitParent.IsZero ? file.Parent : splitParent) : file.Parent);
            var name = named ? splitName! : $"{file.Name}.mirror~{mirrorId}";
            NameRules.Validate(name);
            NamespaceTree.RequireFree(dir, name);
            var split = DetachedFile(m, file, mirror, checked(next.Generation));
            m.Add(split);
            NamespaceTree.Link(m, dir, name, split);
            m.Log(ChangelogKind.Create, split.Fid, dir.Fid, name, $"split mirror {mirrorId} of {fid}");
            detail = $"split mirror {mirrorId} to {split.Fid}";
        }

        file.Layout = stored.Successor(next, fid, stored.ForeignObjects);
        file.CtimeNs = m.NowNs;
        m.Save(file);
        m.Log(ChangelogKind.Layout, fid, file.Parent, file.Name, $"{detail} gen={next.Generation}", [mirrorId]);
        return file.Snapshot();
    });

    /// <summary>
    /// A new inode whose only mirror is <paramref name="mirror"/> of <paramref name="file"/>, on the same objects.
    /// Its layout starts at <paramref name="generation"/> (the file's next one), not 1: the objects have seen the
    /// file's generations and OSTs refuse I/O with an older one.
    /// </summary>
    private static Inode DetachedFile(Store.Mutation m, Inode file, LayoutMirror mirror, uint generation)
    {
        var fid = m.AllocateFid();
        var objects = new Dictionary<uint, ObjectRef>();
        var components = new List<LayoutComponent>();
        uint id = 1;
        foreach (var c in mirror.Components)
        {
            objects[id] = file.Layout!.ObjectsOf(file.Fid, c.Id);
            components.Add(c with { Id = id++ });
        }

        var layout = new FileLayout
        {
            Generation = generation,
            State = FlrState.ReadOnly,
            Mirrors = [new LayoutMirror { Id = 1, Flags = mirror.Flags & ~(MirrorFlags.Stale | MirrorFlags.Inflight | MirrorFlags.Prefer), Components = components }],
        };
        return new Inode
        {
            Fid = fid,
            Type = InodeType.Regular,
            Mode = file.Mode,
            Uid = file.Uid,
            Gid = file.Gid,
            Size = file.Size,
            Nlink = 1,
            AtimeNs = m.NowNs,
            MtimeNs = file.MtimeNs,
            CtimeNs = m.NowNs,
            Layout = new StoredLayout(layout, StoredLayout.Normalize(fid, objects, layout)),
        };
    }
}
