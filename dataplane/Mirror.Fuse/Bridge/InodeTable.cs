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

    /// <summary>Handles of this mount open on the file: their writes extend the size before the MDS hears of it (lazy size).</summary>
    public void AddOpen(MirrorFile file)
    {
        lock (open)
        {
            open.Add(file);
        }
    }

    public void RemoveOpen(MirrorFile file)
    {
        lock (open)
        {
            open.Remove(file);
        }
    }

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
