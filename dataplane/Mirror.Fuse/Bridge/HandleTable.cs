using System.Collections.Concurrent;
using Mirror.Client.Files;
using Mirror.Client.Metadata;
using Mirror.Core.Errors;

namespace Mirror.Fuse.Bridge;

/// <summary>An open file: the client handle (IWM/FLR writes, read cache) and the node it belongs to.</summary>
internal sealed record FileHandle(Node Node, MirrorFile File, bool Writable);

/// <summary>One listed entry; <paramref name="Attr"/> is there when the listing was read for READDIRPLUS.</summary>
internal sealed record ListedEntry(DirectoryEntry Entry, FileAttr? Attr);

/// <summary>An open directory: the listing taken at the READDIR from offset 0 (offsets index into it).</summary>
internal sealed class DirHandle(Node node)
{
    public Node Node { get; } = node;

    public IReadOnlyList<ListedEntry>? Entries { get; set; }

    /// <summary>True when <see cref="Entries"/> carry attributes.</summary>
    public bool WithAttrs { get; set; }
}

/// <summary>fh numbers handed to the kernel ↔ open files and directories. Thread-safe.</summary>
internal sealed class HandleTable
{
    private readonly ConcurrentDictionary<ulong, object> handles = new();
    private long next;

    public int Count => handles.Count;

    public ulong Add(object handle)
    {
        var fh = (ulong)Interlocked.Increment(ref next);
        handles[fh] = handle;
        return fh;
    }

    public T Get<T>(ulong fh)
        where T : class =>
        handles.TryGetValue(fh, out var h) && h is T t ? t : throw new MirrorException(Errno.EBADF, $"unknown {typeof(T).Name} {fh}");

    public T? Remove<T>(ulong fh)
        where T : class =>
        handles.TryRemove(fh, out var h) ? h as T : null;

    /// <summary>Takes every handle out (session end).</summary>
    public List<object> RemoveAll()
    {
        var all = new List<object>();
        foreach (var fh in handles.Keys)
        {
            if (handles.TryRemove(fh, out var h))
            {
                all.Add(h);
            }
        }

        return all;
    }
}
