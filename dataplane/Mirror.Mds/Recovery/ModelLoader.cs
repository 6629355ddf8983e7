using System.Globalization;
using Microsoft.Extensions.Logging;
using Mirror.Core;
using Mirror.Mds.Namespace;
using Mirror.Mds.Store;

namespace Mirror.Mds.Recovery;

/// <summary>
/// Start-up: rebuilds the in-memory model from SQLite (everything committed before a crash, nothing else)
/// and creates the root directory on first start.
/// </summary>
public static class ModelLoader
{
    public static async Task<MdsModel> LoadAsync(MdsDatabase database, TimeProvider clock, ILogger logger, Action<int, double>? onBatch)
    {
        var model = new MdsModel(database, clock, logger, onBatch);
        try
        {
            var meta = database.LoadMeta();
            model.LastOid = (ulong)meta.GetValueOrDefault("last_oid");
            foreach (var record in database.LoadInodes())
            {
                model.Inodes.Add(record.Fid, Inode.FromRecord(record));
            }

            foreach (var (parent, entry) in database.LoadEntries())
            {
                model.Get(parent).AddEntry(entry);
                model.Get(entry.Fid).Names.Add((parent, entry.Name));
            }

            foreach (var (fid, name, value) in database.LoadXattrs())
            {
                model.Get(fid).Xattrs[name] = value;
            }

            LoadVolumes(database, model, logger);

            foreach (var consumer in database.LoadConsumers())
            {
                model.Consumers.Add(consumer.Id, consumer);
                if (consumer.Id.StartsWith("cl", StringComparison.Ordinal)
                    && long.TryParse(consumer.Id.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    model.LastConsumerNumber = Math.Max(model.LastConsumerNumber, n);
                }
            }

            model.LastChangelogIndex = Math.Max((ulong)meta.GetValueOrDefault("last_changelog"), database.LastChangelogIndex());
            foreach (var ost in database.LoadOsts())
            {
                model.Osts.Add(ost.Index, ost);
            }

            foreach (var orphan in database.LoadOrphans())
            {
                model.Orphans.Add(orphan.Id, orphan);
                model.LastOrphanId = Math.Max(model.LastOrphanId, orphan.Id);
            }

            // IWM §2.2.5: the durable active-epoch set and the clients to wait for; EpochRecovery acts on them.
            foreach (var epoch in database.LoadEpochs())
            {
                model.ActiveEpochs.Add(epoch.Fid, epoch);
            }

            foreach (var client in database.LoadClients())
            {
                model.Clients.Add(client.Uuid, client);
            }

            model.LastEpochId = Math.Max((ulong)meta.GetValueOrDefault("last_epoch_id"), model.ActiveEpochs.Values.Select(e => e.EpochId).DefaultIfEmpty(0UL).Max());
            model.LastClientId = Math.Max((ulong)meta.GetValueOrDefault("last_client_id"), model.Clients.Values.Select(c => c.ClientId).DefaultIfEmpty(0UL).Max());
            if (!model.Inodes.ContainsKey(Fid.Root))
            {
                await model.MutateAsync(m =>
                {
                    var root = new Inode
                    {
                        Fid = Fid.Root,
                        Type = InodeType.Directory,
                        Mode = Convert.ToUInt32("755", 8),
                        Nlink = 2,
                        AtimeNs = m.NowNs,
                        MtimeNs = m.NowNs,
                        CtimeNs = m.NowNs,
                        Parent = Fid.Root,
                    };
                    m.Add(root);
                    return true;
                }).ConfigureAwait(false);
                logger.RootCreated(Fid.Root);
            }

            logger.Loaded(model.Inodes.Count, model.Osts.Count, model.Orphans.Count, model.LastChangelogIndex);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Volumes and what is derived from the tree: each inode's volume, each file's charge, and the usage
    /// recomputed from the charges (the stored usage is written in the same transactions, so they agree; the
    /// files are the truth if they ever did not).
    /// </summary>
    private static void LoadVolumes(MdsDatabase database, MdsModel model, ILogger logger)
    {
        foreach (var record in database.LoadVolumes())
        {
            var volume = new Volumes.Volume
            {
                Name = record.Name,
                Root = record.Root,
                Capacity = record.Capacity,
                Owner = record.Owner,
                Layout = record.Layout,
                CreatedNs = record.CreatedNs,
            };
            model.Volumes.Add(volume.Name, volume);
            var pending = new Stack<Inode>();
            pending.Push(model.Get(volume.Root));
            while (pending.Count > 0)
            {
                var inode = pending.Pop();
                inode.Volume = volume;
                inode.Charged = inode.QuotaCharge;
                volume.Used += inode.Charged;
                volume.Files++;
                foreach (var entry in inode.Entries.Values)
                {
                    var child = model.Get(entry.Fid);
                    if (child.Volume is null)
                    {
                        pending.Push(child);
                    }
                }
            }

            if (volume.Used != record.Used)
            {
                logger.VolumeUsageRecomputed(volume.Name, record.Used, volume.Used);
            }
        }
    }
}
