using Mirror.Core.Errors;

namespace Mirror.Ost.Objects;

/// <summary>Fencing of an evicted writer (ost.proto Fence, IWM §2.2.6).</summary>
public sealed partial class ObjectStore
{
    /// <summary>
    /// Raises the layout generation of every object in <paramref name="keys"/> to <paramref name="generation"/>
    /// (creating a missing one, so a late write cannot create it with an old generation either), waits for
    /// modifications already past their generation check, and returns the transno that covers it all.
    /// </summary>
    public ulong Fence(IEnumerable<ObjectKey> keys, uint generation, TimeSpan wait)
    {
        if (generation == 0)
        {
            throw new MirrorException(Errno.EINVAL, "fence: layout generation 0 fences nothing");
        }

        var transno = journal.Record();
        foreach (var key in keys)
        {
            using var lease = Open(key, create: true);
            if (!lease.Object.Fence(generation, wait))
            {
                throw new MirrorException(Errno.ETIMEDOUT, $"fence of object {key} at generation {generation}: modifications in flight did not finish within {wait.TotalSeconds:0.#} s");
            }

            transno = journal.Record(lease.Object);
        }

        return transno;
    }
}
