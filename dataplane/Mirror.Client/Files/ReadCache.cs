using Mirror.Client.Locks;
using Mirror.Core.Layouts;

namespace Mirror.Client.Files;

/// <summary>
/// A file's small read cache in this client, shared by its open handles: the last chunk read, tagged with
/// the layout generation it was read under (the part of Lustre's page cache that IWM §2.2.7.3 is about).
/// Writes, truncates and punches through any handle of this client invalidate what they overlap; other
/// clients' writes are seen after a reopen (close-to-open consistency, as for the size).
///
/// On a new layout (IWM §2.2.7.3): exactly one generation newer and STATE_ONLY_CHANGE → the stripes did
/// not move, keep the data (re-tagged); anything else (a destructive change, or more than one generation
/// missed) → drop it and count the drop (mirror_client_layout_cache_drops_total). Thread-safe.
/// </summary>
public sealed class ReadCache(int maxBytes)
{
    private readonly object gate = new();
    private uint generation;
    private ulong start;
    private byte[]? data;     // the cached chunk: data[..length] (null = nothing cached)
    private int length;
    private byte[]? spare;    // the storage of dropped data, reused by the next Store: no array per read
    private long version;

    public int MaxBytes { get; } = maxBytes;

    /// <summary>Layout changes that dropped cached data.</summary>
    public long Drops { get; private set; }

    public bool HasData
    {
        get { lock (gate) { return data is not null; } }
    }

    /// <summary>Monotonic; a read that started before an invalidation must not store (see <see cref="Store"/>).</summary>
    public long Version
    {
        get { lock (gate) { return version; } }
    }

    public bool TryRead(ulong offset, Span<byte> destination, uint layoutGeneration)
    {
        lock (gate)
        {
            if (data is null || generation != layoutGeneration || offset < start || offset + (ulong)destination.Length > start + (ulong)length)
            {
                return false;
            }

            data.AsSpan((int)(offset - start), destination.Length).CopyTo(destination);
            return true;
        }
    }

    /// <summary>Keeps <paramref name="bytes"/> read at <paramref name="offset"/> unless something invalidated the cache since <paramref name="seenVersion"/>.</summary>
    public void Store(ulong offset, ReadOnlySpan<byte> bytes, uint layoutGeneration, long seenVersion)
    {
        if (bytes.Length == 0 || bytes.Length > MaxBytes)
        {
            return;
        }

        lock (gate)
        {
            if (version != seenVersion)
            {
                return;
            }

            var storage = data ?? spare;
            if (storage is null || storage.Length < bytes.Length)
            {
                storage = new byte[bytes.Length];
            }

            bytes.CopyTo(storage);
            (data, spare, length) = (storage, null, bytes.Length);
            start = offset;
            generation = layoutGeneration;
        }
    }

    /// <summary>This handle modified [from, to): cached bytes there are no longer the file's.</summary>
    public void Invalidate(ulong from, ulong to)
    {
        lock (gate)
        {
            version++;
            if (data is not null && from < start + (ulong)length && start < to)
            {
                Drop();
            }
        }
    }

    /// <summary>IWM §2.2.7.3 keep-or-drop on a layout change; true when the data was kept.</summary>
    public bool OnLayout(FileLayout next)
    {
        lock (gate)
        {
            version++;
            if (data is null || next.Generation == generation)
            {
                return data is not null;
            }

            if (next.StateOnlyChange && next.Generation == generation + 1)
            {
                generation = next.Generation;
                return true;
            }

            Drop();
            Drops++;
            IwmMetrics.LayoutCacheDrops.Add(1);
            return false;
        }
    }

    private void Drop() => (spare, data) = (data, null);
}
