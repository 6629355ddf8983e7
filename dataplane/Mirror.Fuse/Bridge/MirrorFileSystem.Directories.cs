using System.Runtime.InteropServices;
using System.Text;
using Mirror.Client.Metadata;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Fuse.Kernel;

namespace Mirror.Fuse.Bridge;

/// <summary>
/// Directories: the listing is read at the READDIR from offset 0 and served from the handle afterwards;
/// an entry's offset is its index + 1 ("." and ".." first). READDIRPLUS also sends each entry's attributes
/// and counts a lookup for each one sent (fuse.h: the kernel instantiates them), never for "." and "..".
/// </summary>
internal sealed partial class MirrorFileSystem
{
    private static readonly int DirentSize = Marshal.SizeOf<FuseDirent>();
    private static readonly int EntryOutSize = Marshal.SizeOf<FuseEntryOut>();

    private async Task OpendirAsync(FuseRequest r, FuseChannel c)
    {
        var node = Inodes.Get(r.NodeId);
        var attr = await Mds.GetAttrAsync(node.Fid).ConfigureAwait(false);
        if (attr.Kind != FileKind.Directory)
        {
            throw new MirrorException(Errno.ENOTDIR, $"{Describe(node)} is not a directory");
        }

        c.Reply(r.Unique, new FuseOpenOut { Fh = handles.Add(new DirHandle(node)) });
    }

    private async Task ReaddirAsync(FuseRequest r, FuseChannel c, bool plus)
    {
        var read = r.Read<FuseReadIn>();
        var dir = handles.Get<DirHandle>(read.Fh);
        if (dir.Entries is null || read.Offset == 0 || (plus && !dir.WithAttrs))
        {
            dir.Entries = await ListAsync(dir.Node, plus).ConfigureAwait(false);
            dir.WithAttrs = plus;
        }

        var all = dir.Entries;
        var start = (int)Math.Min(read.Offset, (ulong)all.Count);
        var limit = (int)read.Size;
        var recordOverhead = DirentSize + (plus ? EntryOutSize : 0);
        var fitting = new List<(int Index, byte[] Name, int Size)>();
        var used = 0;
        for (var i = start; i < all.Count; i++)
        {
            var name = Encoding.UTF8.GetBytes(all[i].Entry.Name);
            var size = Align8(recordOverhead + name.Length);
            if (used + size > limit)
            {
                break;
            }

            fitting.Add((i, name, size));
            used += size;
        }

        var buffer = FuseChannel.RentReply(used);
        var span = buffer.AsSpan(FuseChannel.OutHeaderSize, used);
        span.Clear();
        var at = 0;
        for (var k = 0; k < fitting.Count; k++)
        {
            var (index, name, size) = fitting[k];
            var (e, attr) = all[index];
            var record = span.Slice(at, size);
            if (plus)
            {
                // "." and ".." carry no attributes: node id 0, the kernel does not instantiate them.
                var entry = attr is not null ? EntryOut(Inodes.Remember(attr), attr) : default;
                MemoryMarshal.Write(record, in entry);
                record = record[EntryOutSize..];
            }

            var dirent = new FuseDirent
            {
                Ino = InodeTable.InodeNumber(e.Fid),
                Off = (ulong)index + 1,
                NameLen = (uint)name.Length,
                Type = DirentType(e.Kind),
            };
            MemoryMarshal.Write(record, in dirent);
            name.CopyTo(record[DirentSize..]);
            at += size;
        }

        c.Send(r.Unique, buffer, used);
    }

    /// <summary>The whole directory, page by page (MDS readdir cookies), with attributes for READDIRPLUS, after "." and "..".</summary>
    private async Task<List<ListedEntry>> ListAsync(Node dir, bool withAttrs)
    {
        var entries = new List<ListedEntry>
        {
            new(new DirectoryEntry(".", dir.Fid, FileKind.Directory), null),
            new(new DirectoryEntry("..", dir.Fid, FileKind.Directory), null),
        };
        ulong cookie = 0;
        while (true)
        {
            var page = await Mds.ReaddirPageAsync(dir.Fid, cookie, 1024, withAttrs).ConfigureAwait(false);
            foreach (var e in page.Entries)
            {
                var entry = new DirectoryEntry(e.Name, e.Fid.ToFid(), (FileKind)(int)e.Type);
                entries.Add(new ListedEntry(entry, withAttrs && e.Attr is not null ? FileAttr.FromMsg(e.Attr) : null));
                cookie = e.Cookie;
            }

            if (page.Eof || page.Entries.Count == 0)
            {
                return entries;
            }
        }
    }

    private static int Align8(int n) => (n + 7) & ~7;

    /// <summary>d_type (DT_DIR, DT_REG, DT_LNK) = S_IFMT >> 12.</summary>
    private static uint DirentType(FileKind kind) => TypeBits(kind) >> 12;

}
