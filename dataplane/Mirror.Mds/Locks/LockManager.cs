using Mirror.Core;
using Mirror.Core.Errors;

namespace Mirror.Mds.Locks;

/// <summary>
/// The inode-bits lock manager (Lustre ldlm ibits; IWM §2.2.1, §2.2.7): one resource per FID, bits LAYOUT
/// and ACTIVE_WRITERS, modes CR/CW/EX. A request compatible with every granted lock and with no earlier
/// waiter on an overlapping bit is granted at once; otherwise it queues in FIFO order and every
/// conflicting holder gets one blocking callback. FIFO on overlapping bits is what keeps writers from
/// starving an epoch close: once AW EX waits, new AW CW requests queue behind it.
/// Holders that do not cancel within the callback timeout are reported by <see cref="ExpiredCallbacks"/>;
/// the caller evicts them (<see cref="DropClient"/>).
/// Lock order: the manager's gate is a leaf (taken under nothing but itself); callbacks are delivered
/// outside it through <see cref="CallbackSink"/>.
/// </summary>
public sealed class LockManager
{
    private readonly object gate = new();
    private readonly Dictionary<Fid, Resource> resources = [];
    private readonly Dictionary<ulong, MdsLock> byHandle = [];
    private readonly Func<long> nowNs;
    private ulong lastHandle;

    public LockManager(Func<long> nowNs) => this.nowNs = nowNs;

    /// <summary>Delivers blocking callbacks (set by the client registry); called outside the gate.</summary>
    public Action<BlockingCallback>? CallbackSink { get; set; }

    /// <summary>
    /// Requests a lock and waits for the grant. <paramref name="cancellationToken"/> abandons a waiting request
    /// (the waiter is removed; nothing is granted).
    /// </summary>
    public async Task<MdsLock> EnqueueAsync(Fid fid, ulong clientId, LockBits bits, LockMode mode, CancellationToken cancellationToken = default)
    {
        var request = Enqueue(fid, clientId, bits, mode, waitIfBlocked: true)!;
        if (request.State == LockState.Granted)
        {
            return request;
        }

        using var registration = cancellationToken.Register(() => Abandon(request, cancellationToken));
        return await request.Grant.Task.ConfigureAwait(false);
    }

    /// <summary>Grants only if it can be granted right now; null otherwise (nothing queued, no callbacks).</summary>
    public MdsLock? TryLock(Fid fid, ulong clientId, LockBits bits, LockMode mode) =>
        Enqueue(fid, clientId, bits, mode, waitIfBlocked: false);

    /// <summary>
    /// Grants a lock without any check: a lock a client replays after an MDS restart (IWM §2.2.5). Replays
    /// happen before new grants are allowed, and what the clients held before the crash was compatible.
    /// </summary>
    public MdsLock Replay(Fid fid, ulong clientId, LockBits bits, LockMode mode)
    {
        lock (gate)
        {
            var l = new MdsLock(++lastHandle, fid, clientId, bits, mode) { State = LockState.Granted };
            ResourceOf(fid).Granted.Add(l);
            byHandle.Add(l.Handle, l);
            return l;
        }
    }

    /// <summary>Releases a granted lock (or abandons a waiting one). Returns the lock, or null when unknown.</summary>
    public MdsLock? Release(ulong handle)
    {
        List<BlockingCallback> callbacks;
        MdsLock? released;
        lock (gate)
        {
            if (!byHandle.TryGetValue(handle, out released))
            {
                return null;
            }

            callbacks = RemoveLocked(released);
        }

        Deliver(callbacks);
        return released;
    }

    public MdsLock? Find(ulong handle)
    {
        lock (gate)
        {
            return byHandle.GetValueOrDefault(handle);
        }
    }

    /// <summary>
    /// Sends a blocking callback to every granted client lock holding one of <paramref name="bits"/>, without
    /// queueing anything: how a committed flag-only layout change makes clients refetch (IWM §2.2.7.3).
    /// </summary>
    public void Revoke(Fid fid, LockBits bits)
    {
        var callbacks = new List<BlockingCallback>();
        lock (gate)
        {
            if (!resources.TryGetValue(fid, out var resource))
            {
                return;
            }

            foreach (var holder in resource.Granted.Where(h => (h.Bits & bits) != 0))
            {
                AskToCancel(holder, LockMode.EX, callbacks);
            }
        }

        Deliver(callbacks);
    }

    /// <summary>Granted locks on a file (for epochs: "does any AW lock remain?").</summary>
    public IReadOnlyList<MdsLock> Granted(Fid fid, LockBits bits)
    {
        lock (gate)
        {
            return resources.TryGetValue(fid, out var r) ? r.Granted.Where(l => (l.Bits & bits) != 0).ToList() : [];
        }
    }

    /// <summary>Every granted lock of a client.</summary>
    public IReadOnlyList<MdsLock> HeldBy(ulong clientId)
    {
        lock (gate)
        {
            return byHandle.Values.Where(l => l.ClientId == clientId && l.State == LockState.Granted).ToList();
        }
    }

    /// <summary>Client locks whose blocking callback is older than <paramref name="timeout"/>: their owners must be evicted.</summary>
    public IReadOnlyList<MdsLock> ExpiredCallbacks(TimeSpan timeout)
    {
        var limit = nowNs() - (long)(timeout.TotalMilliseconds * 1_000_000);
        lock (gate)
        {
            return byHandle.Values.Where(l => l.State == LockState.Granted && l.ClientId != MdsLock.MdsClient
                && l.CallbackSentNs is { } sent && sent <= limit).ToList();
        }
    }

    /// <summary>
    /// Eviction (IWM §2.4.3): drops every lock of the client, granted or waiting (waiters fail with ESTALE),
    /// and grants what was waiting behind them. Returns the granted locks it dropped.
    /// </summary>
    public IReadOnlyList<MdsLock> DropClient(ulong clientId)
    {
        var callbacks = new List<BlockingCallback>();
        List<MdsLock> granted;
        lock (gate)
        {
            var dropped = byHandle.Values.Where(l => l.ClientId == clientId).ToList();
            granted = dropped.Where(l => l.State == LockState.Granted).ToList();
            foreach (var l in dropped)
            {
                var wasWaiting = l.State == LockState.Waiting;
                callbacks.AddRange(RemoveLocked(l));
                if (wasWaiting)
                {
                    l.Grant.TrySetException(new MirrorException(Errno.ESTALE, $"client {clientId} evicted"));
                }
            }
        }

        Deliver(callbacks);
        return granted;
    }

    /// <summary>Fails every waiter (shutdown).</summary>
    public void FailAll(Exception error)
    {
        lock (gate)
        {
            foreach (var l in byHandle.Values.Where(l => l.State == LockState.Waiting))
            {
                l.Grant.TrySetException(error);
            }
        }
    }

    private MdsLock? Enqueue(Fid fid, ulong clientId, LockBits bits, LockMode mode, bool waitIfBlocked)
    {
        if (bits == LockBits.None || (bits & ~(LockBits.Layout | LockBits.ActiveWriters)) != 0)
        {
            throw new MirrorException(Errno.EINVAL, $"lock bits {(uint)bits} are not LAYOUT and/or ACTIVE_WRITERS");
        }

        if (mode is not (LockMode.CR or LockMode.CW or LockMode.EX))
        {
            throw new MirrorException(Errno.EINVAL, $"lock mode {(int)mode} is not CR, CW or EX");
        }

        var callbacks = new List<BlockingCallback>();
        MdsLock request;
        lock (gate)
        {
            var resource = ResourceOf(fid);
            var blocked = resource.Waiting.Any(w => (w.Bits & bits) != 0)
                || resource.Granted.Any(g => LockCompatibility.Conflicts(g.Bits, g.Mode, bits, mode));
            if (blocked && !waitIfBlocked)
            {
                if (resource.Granted.Count == 0 && resource.Waiting.Count == 0)
                {
                    resources.Remove(fid);
                }

                return null;
            }

            request = new MdsLock(++lastHandle, fid, clientId, bits, mode);
            byHandle.Add(request.Handle, request);
            if (!blocked)
            {
                request.State = LockState.Granted;
                resource.Granted.Add(request);
                request.Grant.TrySetResult(request);
            }
            else
            {
                request.State = LockState.Waiting;
                resource.Waiting.Add(request);
                foreach (var holder in resource.Granted.Where(g => LockCompatibility.Conflicts(g.Bits, g.Mode, bits, mode)))
                {
                    AskToCancel(holder, mode, callbacks);
                }
            }
        }

        Deliver(callbacks);
        return request;
    }

    private void Abandon(MdsLock request, CancellationToken token)
    {
        List<BlockingCallback> callbacks;
        lock (gate)
        {
            if (request.State != LockState.Waiting)
            {
                return;
            }

            callbacks = RemoveLocked(request);
        }

        request.Grant.TrySetCanceled(token);
        Deliver(callbacks);
    }

    /// <summary>Removes a lock and grants waiters in FIFO order while they fit. Call under the gate.</summary>
    private List<BlockingCallback> RemoveLocked(MdsLock l)
    {
        var callbacks = new List<BlockingCallback>();
        var resource = ResourceOf(l.Fid);
        resource.Granted.Remove(l);
        resource.Waiting.Remove(l);
        byHandle.Remove(l.Handle);
        l.State = LockState.Released;
        GrantWaiters(resource, callbacks);
        if (resource.Granted.Count == 0 && resource.Waiting.Count == 0)
        {
            resources.Remove(l.Fid);
        }

        return callbacks;
    }

    private void GrantWaiters(Resource resource, List<BlockingCallback> callbacks)
    {
        // A waiter is granted when nothing granted conflicts and no earlier waiter on an overlapping bit
        // is still waiting (FIFO per bit); a later waiter on other bits may pass.
        var stillWaiting = new List<MdsLock>();
        foreach (var w in resource.Waiting.ToList())
        {
            var blocked = stillWaiting.Any(s => (s.Bits & w.Bits) != 0)
                || resource.Granted.Any(g => LockCompatibility.Conflicts(g.Bits, g.Mode, w.Bits, w.Mode));
            if (blocked)
            {
                stillWaiting.Add(w);
                foreach (var holder in resource.Granted.Where(g => LockCompatibility.Conflicts(g.Bits, g.Mode, w.Bits, w.Mode)))
                {
                    AskToCancel(holder, w.Mode, callbacks);
                }

                continue;
            }

            resource.Waiting.Remove(w);
            resource.Granted.Add(w);
            w.State = LockState.Granted;
            w.Grant.TrySetResult(w);
        }
    }

    private void AskToCancel(MdsLock holder, LockMode blockingMode, List<BlockingCallback> callbacks)
    {
        if (holder.CallbackSentNs is not null || holder.ClientId == MdsLock.MdsClient)
        {
            return;
        }

        holder.CallbackSentNs = nowNs();
        callbacks.Add(new BlockingCallback(holder, blockingMode));
    }

    private void Deliver(List<BlockingCallback> callbacks)
    {
        foreach (var c in callbacks)
        {
            CallbackSink?.Invoke(c);
        }
    }

    private Resource ResourceOf(Fid fid)
    {
        if (!resources.TryGetValue(fid, out var r))
        {
            r = new Resource();
            resources.Add(fid, r);
        }

        return r;
    }

    private sealed class Resource
    {
        public List<MdsLock> Granted { get; } = [];

        public List<MdsLock> Waiting { get; } = [];
    }
}
