using Mirror.Client.Files;
using Mirror.Client.Metadata;
using Mirror.Core;
using Mirror.Core.Errors;

namespace Mirror.Fuse.Bridge;

/// <summary>One inode the kernel knows: its node id, FID, and how many lookups the kernel holds (fuse.h FORGET).</summary>
internal sealed class Node(ulong nodeId, Fid fid)
{
    private readonly List<MirrorFile> open = [];

    public ulong NodeId { get; } = nodeId;

    public Fid Fid { get; } = fid;

    /// <summary>Lookups the kernel holds; guarded by the table's lock.</summary>
    public ulong Lookups { get; set; }

    /// <summary>
    /// The attributes this mount last sent the kernel for the node (entry, attr and readdirplus replies), with
    /// the size as sent; null before the first. OPEN compares the MDS's fresh attributes with it to decide
    /// whether the kernel's cached attributes are stale (close-to-open with attribute caching on).
    /// </summary>
    public KernelAttr? Given
    {
        get => Volatile.Read(ref given);
        set => Volatile.Write(ref given, value);
    }

    private KernelAttr? given;

    /// <summary>For a directory: its attributes from this mount's last change in it (answers the kernel's next GETATTR).</summary>
    public DirectoryChanges Changes { get; } = new();

    /// <summary>Handles of this mount open on the file: their writes extend the size before the MDS hears of it (lazy size).</summary>
    public void AddOpen(MirrorFile file)
    {
        lock (open)
        {
            open.Add(file);
        }
    }

    /// <summary>Drops a closed handle; returns the hidden name to unlink now when it was the last one (see <see cref="Hide"/>).</summary>
    public (Fid Parent, string Name)? RemoveOpen(MirrorFile file)
    {
        lock (open)
        {
            open.Remove(file);
            if (open.Count > 0 || Hidden is not { } hidden)
            {
                return null;
            }

            Hidden = null;
            return hidden;
        }
    }

    /// <summary>
    /// Unlink of a file still open here: the bridge renamed it to a hidden name instead (NFS's "silly
    /// rename"), so the handles keep reading and writing; the last close unlinks that name. Returns false
    /// when no handle is open any more (the caller unlinks the hidden name itself).
    /// </summary>
    public bool Hide(Fid parent, string name)
    {
        lock (open)
        {
            if (open.Count == 0)
            {
                return false;
            }

            Hidden = (parent, name);
            return true;
        }
    }

    /// <summary>The most recently opened handle of this mount on the file, or null.</summary>
    public MirrorFile? LatestOpen()
    {
        lock (open)
        {
            return open.Count > 0 ? open[^1] : null;
        }
    }

    public bool IsOpen
    {
        get { lock (open) { return open.Count > 0; } }
    }

    private (Fid Parent, string Name)? Hidden { get; set; }

    /// <summary>The size this mount sees: the MDS's, grown by writes through handles still open here.</summary>
    public ulong SizeSeen(ulong mdsSize)
    {
        lock (open)
        {
            var size = mdsSize;
            foreach (var f in open)
            {
                size = Math.Max(size, f.Size);
            }

            return size;
        }
    }

    public override string ToString() => $"node {NodeId} ({Fid})";
}

/// <summary>Attributes as the kernel got them: the MDS's, and the size this mount reported (<see cref="Node.SizeSeen"/>).</summary>
internal sealed record KernelAttr(FileAttr Attr, ulong Size)
{
    private readonly long recorded = Environment.TickCount64;

    /// <summary>How long ago the MDS gave these attributes.</summary>
    public TimeSpan Age => TimeSpan.FromMilliseconds(Environment.TickCount64 - recorded);

    /// <summary>True when <paramref name="fresh"/> (size as this mount would report it) differs in what a reader sees: size, times, data version.</summary>
    public bool DiffersFrom(FileAttr fresh, ulong freshSize) =>
        Size != freshSize || Attr.Mtime != fresh.Mtime || Attr.Ctime != fresh.Ctime || Attr.DataVersion != fresh.DataVersion
        || Attr.Mode != fresh.Mode || Attr.Uid != fresh.Uid || Attr.Gid != fresh.Gid || Attr.Nlink != fresh.Nlink;
}

/// <summary>
/// Node ids ↔ FIDs with lookup counts (fuse.h: every entry reply is one lookup; FORGET gives them back).
/// Node ids are never reused within a session, so the generation can stay the FID's version. Node 1 is
/// the mounted directory and is never forgotten. Lock: one monitor over both maps, never held across I/O.
/// </summary>
internal sealed class InodeTable
{
    public const ulong RootId = 1;

    private readonly Dictionary<ulong, Node> byId = [];
    private readonly Dictionary<Fid, Node> byFid = [];
    private ulong nextId = RootId + 1;

    public InodeTable(Fid root)
    {
        Root = new Node(RootId, root) { Lookups = 1 };
        byId[RootId] = Root;
        byFid[root] = Root;
    }

    public Node Root { get; }

    public int Count
    {
        get { lock (byId) { return byId.Count; } }
    }

    /// <summary>The node of <paramref name="attr"/>'s FID, with one more lookup (call only when the entry is sent).</summary>
    public Node Remember(FileAttr attr)
    {
        lock (byId)
        {
            if (!byFid.TryGetValue(attr.Fid, out var node))
            {
                node = new Node(nextId++, attr.Fid);
                byId[node.NodeId] = node;
                byFid[attr.Fid] = node;
            }

            node.Lookups++;
            return node;
        }
    }

    public Node Get(ulong nodeId)
    {
        lock (byId)
        {
            return byId.TryGetValue(nodeId, out var node) ? node : throw new MirrorException(Errno.ESTALE, $"unknown node id {nodeId}");
        }
    }

    /// <summary>The node of <paramref name="fid"/> if the kernel knows it.</summary>
    public Node? Find(Fid fid)
    {
        lock (byId)
        {
            return byFid.GetValueOrDefault(fid);
        }
    }

    public void Forget(ulong nodeId, ulong count)
    {
        lock (byId)
        {
            if (nodeId == RootId || !byId.TryGetValue(nodeId, out var node))
            {
                return;
            }

            node.Lookups = node.Lookups > count ? node.Lookups - count : 0;
            if (node.Lookups == 0)
            {
                byId.Remove(nodeId);
                byFid.Remove(node.Fid);
            }
        }
    }

    /// <summary>st_ino for a FID, stable across mounts (the seq/oid fold Lustre's llite uses for 64-bit inodes).</summary>
    public static ulong InodeNumber(Fid fid) => (fid.Sequence << 24) + ((fid.Sequence >> 24) & 0xFFFFFF0000UL) + fid.ObjectId;
}
