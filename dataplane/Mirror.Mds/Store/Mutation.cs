using Mirror.Core;
using Mirror.Mds.Changelog;
using Mirror.Mds.Layouts;
using Mirror.Mds.Namespace;

namespace Mirror.Mds.Store;

/// <summary>
/// The durable side of one metadata change: the code that changes the model records here what to store.
/// Inode rows are written once per mutation (last state wins); entry, changelog and orphan ops keep order.
/// </summary>
public sealed class Mutation
{
    private readonly MdsModel model;
    private readonly List<StoreOp> ops = [];
    private readonly Dictionary<Fid, Inode> dirty = [];
    private readonly HashSet<Fid> deleted = [];
    private readonly HashSet<Volumes.Volume> dirtyVolumes = [];
    private bool fidAllocated;
    private bool logged;

    internal Mutation(MdsModel model)
    {
        this.model = model;
        NowNs = model.NowNs();
    }

    /// <summary>The time of this mutation (one clock read, used for every timestamp it sets).</summary>
    public long NowNs { get; }

    internal bool QueuedOrphans { get; private set; }

    public Fid AllocateFid()
    {
        model.LastOid++;
        fidAllocated = true;
        return new Fid(MdsModel.FirstSequence + (model.LastOid >> 32), (uint)model.LastOid, 0);
    }

    /// <summary>Adds a new inode to the model.</summary>
    public void Add(Inode inode)
    {
        model.Inodes.Add(inode.Fid, inode);
        Save(inode);
    }

    public void Save(Inode inode)
    {
        dirty[inode.Fid] = inode;
        deleted.Remove(inode.Fid);
    }

    /// <summary>Removes an inode from the model (its entry is removed separately) and releases its quota charge.</summary>
    public void Delete(Inode inode)
    {
        model.Inodes.Remove(inode.Fid);
        dirty.Remove(inode.Fid);
        deleted.Add(inode.Fid);
        if (inode.Volume is { } volume)
        {
            volume.Files--;
            Charge(volume, inode.Charged, 0);
            inode.Charged = 0;
        }
    }

    public void SetXattr(Inode inode, string name, byte[] value)
    {
        inode.Xattrs[name] = value;
        ops.Add(new SetXattrOp(inode.Fid, name, value));
    }

    public void RemoveXattr(Inode inode, string name)
    {
        if (inode.Xattrs.Remove(name))
        {
            ops.Add(new DeleteXattrOp(inode.Fid, name));
        }
    }

    public void SaveVolume(Volumes.Volume volume)
    {
        model.Volumes[volume.Name] = volume;
        dirtyVolumes.Add(volume);
    }

    public void DeleteVolume(Volumes.Volume volume)
    {
        model.Volumes.Remove(volume.Name);
        dirtyVolumes.Remove(volume);
        ops.Add(new DeleteVolumeOp(volume.Name));
    }

    public void AddEntry(Inode dir, DirEntry entry)
    {
        dir.AddEntry(entry);
        if (model.Inodes.TryGetValue(entry.Fid, out var target))
        {
            target.Names.Add((dir.Fid, entry.Name));
        }

        ops.Add(new InsertEntryOp(dir.Fid, entry));
        Save(dir);
    }

    public void RemoveEntry(Inode dir, DirEntry entry)
    {
        dir.RemoveEntry(entry);
        if (model.Inodes.TryGetValue(entry.Fid, out var target))
        {
            target.Names.Remove((dir.Fid, entry.Name));
            if (target.Parent == dir.Fid && target.Name == entry.Name && target.Names.Count > 0)
            {
                // The primary name went but a hard link remains: it becomes the primary name.
                (target.Parent, target.Name) = target.Names.First();
                Save(target);
            }
        }

        ops.Add(new DeleteEntryOp(dir.Fid, entry.Name));
        Save(dir);
    }

    public ChangelogEntry Log(ChangelogKind kind, Fid fid, Fid parent = default, string name = "", string detail = "", IReadOnlyList<uint>? mirrorIds = null)
    {
        logged = true;
        var entry = new ChangelogEntry(++model.LastChangelogIndex, kind, NowNs, fid, parent, name, detail, mirrorIds ?? []);
        ops.Add(new AppendChangelogOp(entry));
        return entry;
    }

    /// <summary>Queues stripe objects for destruction on their OSTs, durably with this change.</summary>
    public void Orphan(IEnumerable<(ObjectRef Object, int Stripe, int Ost)> objects)
    {
        foreach (var (obj, stripe, ost) in objects)
        {
            var orphan = new OrphanObject(++model.LastOrphanId, obj, stripe, ost);
            model.Orphans.Add(orphan.Id, orphan);
            ops.Add(new InsertOrphanOp(orphan));
            QueuedOrphans = true;
        }
    }

    public void OrphanDestroyed(long id)
    {
        if (model.Orphans.Remove(id))
        {
            ops.Add(new DeleteOrphanOp(id));
        }
    }

    public void SaveConsumer(ChangelogConsumer consumer)
    {
        model.Consumers[consumer.Id] = consumer;
        ops.Add(new SaveConsumerOp(consumer));
    }

    public void PurgeChangelog(ulong upToIndex) => ops.Add(new PurgeChangelogOp(upToIndex));

    public void SaveOst(OstRecord ost, bool durable)
    {
        model.Osts[ost.Index] = ost;
        if (durable)
        {
            ops.Add(new SaveOstOp(ost));
        }
    }

    /// <summary>Adds or updates a FID in the durable active-epoch set (IWM §2.2.5), in this transaction.</summary>
    public void SaveEpoch(EpochRow epoch)
    {
        model.ActiveEpochs[epoch.Fid] = epoch;
        ops.Add(new SaveEpochOp(epoch));
        if (epoch.EpochId > model.LastEpochId)
        {
            model.LastEpochId = epoch.EpochId;
            ops.Add(new SetMetaOp("last_epoch_id", (long)epoch.EpochId));
        }
    }

    /// <summary>Removes a FID from the durable active-epoch set (epoch closed).</summary>
    public void DeleteEpoch(Fid fid)
    {
        if (model.ActiveEpochs.Remove(fid))
        {
            ops.Add(new DeleteEpochOp(fid));
        }
    }

    public void SaveClient(ClientRow client)
    {
        model.Clients[client.Uuid] = client;
        ops.Add(new SaveClientOp(client));
        if (client.ClientId > model.LastClientId)
        {
            model.LastClientId = client.ClientId;
            ops.Add(new SetMetaOp("last_client_id", (long)client.ClientId));
        }
    }

    public void DeleteClient(string uuid)
    {
        if (model.Clients.Remove(uuid))
        {
            ops.Add(new DeleteClientOp(uuid));
        }
    }

    internal IReadOnlyList<StoreOp> Finish()
    {
        // Quota (ARCHITECTURE §3): whatever changed a file's size or reservation, its volume's usage follows in
        // this same transaction, so usage is exact after kill -9.
        foreach (var inode in dirty.Values)
        {
            if (inode.Volume is { } volume && inode.QuotaCharge != inode.Charged)
            {
                Charge(volume, inode.Charged, inode.QuotaCharge);
                inode.Charged = inode.QuotaCharge;
            }
        }

        foreach (var volume in dirtyVolumes)
        {
            ops.Add(new SaveVolumeOp(volume.Snapshot()));
        }

        foreach (var fid in deleted)
        {
            ops.Add(new DeleteInodeOp(fid));
        }

        foreach (var inode in dirty.Values)
        {
            ops.Add(new SaveInodeOp(inode.Snapshot()));
        }

        if (fidAllocated)
        {
            ops.Add(new SetMetaOp("last_oid", (long)model.LastOid));
        }

        if (logged)
        {
            // Purging may delete every record; the counter must not restart below an index once handed out.
            ops.Add(new SetMetaOp("last_changelog", (long)model.LastChangelogIndex));
        }

        return ops;
    }

    private void Charge(Volumes.Volume volume, ulong from, ulong to)
    {
        volume.Used = volume.Used - Math.Min(volume.Used, from) + to;
        if (model.Volumes.ContainsKey(volume.Name))
        {
            dirtyVolumes.Add(volume);
        }
    }
}
