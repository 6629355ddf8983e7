using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Mds.Changelog;
using Mirror.Mds.Namespace;
using Mirror.Mds.Store;
using Mirror.Protocol.Mds;

namespace Mirror.Mds.Volumes;

/// <summary>
/// Volumes (ARCHITECTURE §3, filesets): each is the directory /volumes/NAME with a capacity quota. Create is
/// idempotent (CSI retries CreateVolume); delete refuses a non-empty volume unless forced; the quota grant
/// (<see cref="ReserveAsync"/>) charges a file's reserved end to its volume before data is written.
/// </summary>
public sealed class VolumeOperations(MdsModel model, NamespaceTree tree)
{
    private static readonly uint DirectoryMode = Convert.ToUInt32("755", 8);

    public VolumeRecord Get(string name) => model.Read(() => Find(name).Snapshot());

    public IReadOnlyList<VolumeRecord> List() =>
        model.Read(() => (IReadOnlyList<VolumeRecord>)model.Volumes.Values.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => v.Snapshot()).ToList());

    /// <summary>The volume <paramref name="fid"/> lies in; null outside every volume.</summary>
    public VolumeRecord? Of(Fid fid) => model.Read(() => model.Get(fid).Volume?.Snapshot());

    public Task<VolumeRecord> CreateAsync(string name, ulong capacity, string owner, LayoutSpec? layout) => model.MutateAsync(m =>
    {
        VolumeNames.Validate(name);
        if (capacity == 0)
        {
            throw new MirrorException(Errno.EINVAL, $"volume '{name}': capacity must be more than 0 bytes");
        }

        if (model.Volumes.TryGetValue(name, out var existing))
        {
            return existing.Capacity == capacity
                ? existing.Snapshot()
                : throw new MirrorException(Errno.EEXIST,
                    $"volume '{name}' exists with capacity {existing.Capacity} bytes, not {capacity}");
        }

        var root = model.Get(Fid.Root);
        if (!root.Entries.TryGetValue(VolumeNames.DirectoryName, out var holderEntry))
        {
            var created = NewDirectory(m);
            NamespaceTree.Link(m, root, VolumeNames.DirectoryName, created);
            m.Log(ChangelogKind.Mkdir, created.Fid, root.Fid, VolumeNames.DirectoryName);
            holderEntry = root.Entries[VolumeNames.DirectoryName];
        }

        var holder = tree.Directory(holderEntry.Fid);
        if (holder.Volume is not null)
        {
            throw new MirrorException(Errno.EEXIST, $"{VolumeNames.Directory} lies in volume '{holder.Volume.Name}'");
        }

        NamespaceTree.RequireFree(holder, name);
        var dir = NewDirectory(m);
        NamespaceTree.Link(m, holder, name, dir);
        var volume = new Volume
        {
            Name = name,
            Root = dir.Fid,
            Capacity = capacity,
            Owner = owner,
            Layout = layout is { Mirrors.Count: > 0 } ? layout.Clone() : null,
            CreatedNs = m.NowNs,
            Files = 1,
        };
        dir.Volume = volume;
        m.SaveVolume(volume);
        m.Log(ChangelogKind.Mkdir, dir.Fid, holder.Fid, name, $"volume capacity={capacity} owner={owner}");
        return volume.Snapshot();
    });

    public Task<VolumeRecord> ResizeAsync(string name, ulong capacity) => model.MutateAsync(m =>
    {
        var volume = Find(name);
        if (capacity == 0)
        {
            throw new MirrorException(Errno.EINVAL, $"volume '{name}': capacity must be more than 0 bytes");
        }

        if (capacity < volume.Used)
        {
            throw new MirrorException(Errno.ENOSPC, $"volume '{name}' uses {volume.Used} bytes, more than the new capacity {capacity}");
        }

        if (capacity != volume.Capacity)
        {
            volume.Capacity = capacity;
            m.SaveVolume(volume);
            m.Log(ChangelogKind.SetAttr, volume.Root, model.Get(volume.Root).Parent, name, $"volume capacity={capacity}");
        }

        return volume.Snapshot();
    });

    /// <summary>
    /// Removes the volume and its root. ENOTEMPTY while it holds anything, unless <paramref name="force"/>: then
    /// everything in it is removed in the same transaction and the files' objects become orphans.
    /// </summary>
    public Task DeleteAsync(string name, bool force) => model.MutateAsync(m =>
    {
        var volume = Find(name);
        var root = model.Get(volume.Root);
        if (root.Entries.Count > 0 && !force)
        {
            throw new MirrorException(Errno.ENOTEMPTY, $"volume '{name}' holds {volume.Files - 1} files and directories (force removes them)");
        }

        RemoveContents(m, root);
        var holder = model.Get(root.Parent);
        tree.RemoveAndRelease(m, holder, NamespaceTree.Entry(holder, root.Name), ChangelogKind.Rmdir);
        m.DeleteVolume(volume);
        return true;
    });

    /// <summary>
    /// The quota grant: charges max(size, reserved, <paramref name="newEnd"/>) of a regular file to its volume,
    /// or ENOSPC with nothing changed. Returns the granted end (ulong.MaxValue: the file is in no volume).
    /// </summary>
    public Task<ulong> ReserveAsync(Fid fid, ulong newEnd) => model.MutateAsync(m =>
    {
        var file = tree.RegularFile(fid);
        if (file.Volume is not { } volume)
        {
            return ulong.MaxValue;
        }

        if (newEnd > file.QuotaCharge)
        {
            var more = newEnd - file.Charged;
            if (volume.Used + more > volume.Capacity)
            {
                throw new MirrorException(Errno.ENOSPC,
                    $"writing {fid} up to {newEnd} bytes would take volume '{volume.Name}' past its capacity ({volume.Used} of {volume.Capacity} bytes used)");
            }

            file.Reserved = newEnd;
            m.Save(file);
        }

        return file.QuotaCharge;
    });

    private Volume Find(string name)
    {
        VolumeNames.Validate(name);
        return model.Volumes.TryGetValue(name, out var volume) ? volume : throw new MirrorException(Errno.ENOENT, $"no volume '{name}'");
    }

    private static Inode NewDirectory(Mutation m)
    {
        var dir = new Inode
        {
            Fid = m.AllocateFid(),
            Type = InodeType.Directory,
            Mode = DirectoryMode,
            Nlink = 2,
            AtimeNs = m.NowNs,
            MtimeNs = m.NowNs,
            CtimeNs = m.NowNs,
        };
        m.Add(dir);
        return dir;
    }

    /// <summary>Removes everything below <paramref name="dir"/>, children before their directory.</summary>
    private void RemoveContents(Mutation m, Inode dir)
    {
        foreach (var entry in dir.EntriesByCookie.Values.ToList())
        {
            var child = model.Get(entry.Fid);
            if (child.IsDirectory)
            {
                RemoveContents(m, child);
            }

            tree.RemoveAndRelease(m, dir, entry, child.IsDirectory ? ChangelogKind.Rmdir : ChangelogKind.Unlink);
        }
    }
}
