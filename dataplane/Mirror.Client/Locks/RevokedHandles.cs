namespace Mirror.Client.Locks;

/// <summary>
/// Lock handles whose blocking callback came while no lock of ours had that handle: the grant may still be on
/// its way (the MDS called back between the grant and its reply, and the reply is held until the callback
/// is handled, Metadata/CallbackOrder). Such a grant must not be installed: its cancel already went.
/// Bounded: the oldest handles are forgotten first.
/// </summary>
internal sealed class RevokedHandles
{
    private const int Capacity = 4096;
    private readonly object gate = new();
    private readonly HashSet<ulong> set = [];
    private readonly Queue<ulong> order = new();

    public void Add(ulong handle)
    {
        lock (gate)
        {
            if (!set.Add(handle))
            {
                return;
            }

            order.Enqueue(handle);
            while (order.Count > Capacity)
            {
                set.Remove(order.Dequeue());
            }
        }
    }

    /// <summary>True (and forgotten) when <paramref name="handle"/> was called back before it was installed.</summary>
    public bool Remove(ulong handle)
    {
        lock (gate)
        {
            return set.Remove(handle);
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            set.Clear();
            order.Clear();
        }
    }
}
