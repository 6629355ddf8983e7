using Microsoft.Win32.SafeHandles;
using Mirror.Core.Errors;
using Mirror.Ost.Commit;

namespace Mirror.Ost.Objects;

/// <summary>
/// An open object file, shared by concurrent operations, the handle cache and the commit batch that
/// still has to fsync it. Reference counted: the descriptor is closed when the last holder lets go,
/// so evicting a dirty object from the cache never loses its fsync (ARCHITECTURE §2, OST).
/// </summary>
internal sealed class OpenObject : IDurableItem
{
    /// <summary>The xattr that persists the highest layout generation seen (IWM §2.2.4, ff_layout_version).</summary>
    public const string LayoutGenerationXattr = "user.mirror.layout_gen";

    private readonly object generationLock = new();
    private int references = 1;
    private uint layoutGeneration;
    private int modifying;

    // The O_DIRECT descriptor for bulk writes (DirectIo), opened on the first one; DirectRefused once the
    // file system or device said no, so the object stays buffered.
    private SafeFileHandle? direct;
    private volatile bool directRefused;

    // Set by setattr/generation changes so the commit uses fsync instead of fdatasync; cleared by the
    // commit before it flushes, so a change racing the flush marks it again for the next batch.
    private volatile bool metadataDirty;

    public OpenObject(ObjectKey key, string path, SafeFileHandle handle)
    {
        Key = key;
        Path = path;
        Handle = handle;
        layoutGeneration = LinuxSyscalls.GetUInt32Xattr(handle, LayoutGenerationXattr, key.ToString()) ?? 0;
    }

    public ObjectKey Key { get; }

    public string Path { get; }

    public SafeFileHandle Handle { get; }

    public uint LayoutGeneration
    {
        get
        {
            lock (generationLock)
            {
                return layoutGeneration;
            }
        }
    }

    /// <summary>Takes one more reference; only called while the caller already holds one (or under the cache lock).</summary>
    public void Retain() => Interlocked.Increment(ref references);

    public void Release()
    {
        if (Interlocked.Decrement(ref references) == 0)
        {
            Handle.Dispose();
            Volatile.Read(ref direct)?.Dispose();
        }
    }

    /// <summary>
    /// The object's O_DIRECT descriptor, opened on first use; null when direct I/O was refused for it. Only
    /// called while the caller holds a reference, so it is never opened after the last release.
    /// </summary>
    public SafeFileHandle? DirectHandle()
    {
        if (directRefused)
        {
            return null;
        }

        if (Volatile.Read(ref direct) is { } open)
        {
            return open;
        }

        var opened = DirectIo.TryOpen(Path, $"object {Key}");
        if (opened is null)
        {
            directRefused = true;
            return null;
        }

        var raced = Interlocked.CompareExchange(ref direct, opened, null);
        if (raced is not null)
        {
            opened.Dispose();
            return raced;
        }

        return opened;
    }

    /// <summary>The device refused a direct write's alignment: this object writes buffered from now on.</summary>
    public void RefuseDirect() => directRefused = true;

    public void MarkMetadataDirty() => metadataDirty = true;

    /// <summary>
    /// Refuses a generation lower than the highest seen (ESTALE) and, for a modifying call, records a
    /// higher one durably with the object. Generation 0 means "unknown/admin" and is not checked.
    /// </summary>
    public void CheckLayoutGeneration(uint generation, bool record)
    {
        if (generation == 0)
        {
            return;
        }

        lock (generationLock)
        {
            if (generation < layoutGeneration)
            {
                throw new MirrorException(Errno.ESTALE, $"object {Key}: layout generation {generation} < {layoutGeneration} already seen");
            }

            if (record && generation > layoutGeneration)
            {
                LinuxSyscalls.SetUInt32Xattr(Handle, LayoutGenerationXattr, generation, Key.ToString());
                layoutGeneration = generation;
                metadataDirty = true;
            }
        }
    }

    /// <summary>
    /// A modification: checks and records <paramref name="generation"/> like <see cref="CheckLayoutGeneration"/>
    /// and counts as in flight until the scope is disposed (after the change is applied and in the journal),
    /// so a <see cref="Fence"/> raised meanwhile waits for it.
    /// </summary>
    public ModifyScope BeginModify(uint generation)
    {
        lock (generationLock)
        {
            CheckLayoutGeneration(generation, record: true);
            modifying++;
        }

        return new ModifyScope(this);
    }

    /// <summary>
    /// IWM §2.2.6 (our OST LCK_PW): raises the recorded generation to <paramref name="generation"/> so any later
    /// modification with an older one gets ESTALE, then waits until the modifications already past the check
    /// are applied. False when they did not finish within <paramref name="wait"/>.
    /// </summary>
    public bool Fence(uint generation, TimeSpan wait)
    {
        lock (generationLock)
        {
            if (generation > layoutGeneration)
            {
                LinuxSyscalls.SetUInt32Xattr(Handle, LayoutGenerationXattr, generation, Key.ToString());
                layoutGeneration = generation;
                metadataDirty = true;
            }

            var deadline = DateTime.UtcNow + wait;
            while (modifying > 0)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !Monitor.Wait(generationLock, left))
                {
                    return modifying == 0;
                }
            }

            return true;
        }
    }

    private void EndModify()
    {
        lock (generationLock)
        {
            if (--modifying == 0)
            {
                Monitor.PulseAll(generationLock);
            }
        }
    }

    void IDurableItem.MakeDurable()
    {
        var metadata = metadataDirty;
        metadataDirty = false;
        try
        {
            LinuxSyscalls.Flush(Handle, metadata, $"object {Key}");
        }
        catch
        {
            metadataDirty |= metadata;
            throw;
        }
    }

    void IDurableItem.Retain() => Retain();

    void IDurableItem.Release() => Release();

    /// <summary>One modification in flight on the object (<see cref="BeginModify"/>).</summary>
    public readonly struct ModifyScope(OpenObject owner) : IDisposable
    {
        public void Dispose() => owner.EndModify();
    }
}
