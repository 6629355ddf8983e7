namespace Mirror.Ost.Objects;

/// <summary>
/// A bounded LRU of open object files, so a stream of writes to one stripe costs one open, not one per
/// RPC. The cache holds one reference on each entry; evicting drops only that reference, so an object
/// still being written or waiting for its commit stays open until those holders let go.
/// Lock: <c>sync</c>, held only for dictionary/list updates (never across I/O).
/// </summary>
internal sealed class ObjectHandleCache : IDisposable
{
    private readonly object sync = new();
    private readonly Dictionary<ObjectKey, LinkedListNode<OpenObject>> map = [];
    private readonly LinkedList<OpenObject> lru = new();
    private readonly int capacity;

    public ObjectHandleCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        this.capacity = capacity;
    }

    public int Count
    {
        get
        {
            lock (sync)
            {
                return map.Count;
            }
        }
    }

    /// <summary>The cached object with a reference for the caller, or null.</summary>
    public OpenObject? TryGet(ObjectKey key)
    {
        lock (sync)
        {
            if (!map.TryGetValue(key, out var node))
            {
                return null;
            }

            lru.Remove(node);
            lru.AddFirst(node);
            node.Value.Retain();
            return node.Value;
        }
    }

    /// <summary>
    /// Caches a freshly opened object (its initial reference becomes the cache's) and returns the cached
    /// one with a reference for the caller; when another thread cached the key first, the fresh one is
    /// closed and the existing one returned.
    /// </summary>
    public OpenObject Add(OpenObject opened)
    {
        OpenObject? evicted = null;
        OpenObject result;
        lock (sync)
        {
            if (map.TryGetValue(opened.Key, out var existing))
            {
                existing.Value.Retain();
                result = existing.Value;
            }
            else
            {
                map[opened.Key] = lru.AddFirst(opened);
                opened.Retain();
                result = opened;
                if (map.Count > capacity)
                {
                    var last = lru.Last!;
                    lru.RemoveLast();
                    map.Remove(last.Value.Key);
                    evicted = last.Value;
                }
            }
        }

        if (!ReferenceEquals(result, opened))
        {
            opened.Release();
        }

        evicted?.Release();
        return result;
    }

    /// <summary>Drops the cache's reference to <paramref name="key"/> (before the object is destroyed).</summary>
    public void Remove(ObjectKey key)
    {
        OpenObject? removed = null;
        lock (sync)
        {
            if (map.Remove(key, out var node))
            {
                lru.Remove(node);
                removed = node.Value;
            }
        }

        removed?.Release();
    }

    public void Dispose()
    {
        List<OpenObject> all;
        lock (sync)
        {
            all = [.. lru];
            lru.Clear();
            map.Clear();
        }

        foreach (var item in all)
        {
            item.Release();
        }
    }
}
