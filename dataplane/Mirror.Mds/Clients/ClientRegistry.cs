using Microsoft.Extensions.Logging;
using Mirror.Core.Errors;
using Mirror.Core.Faults;
using Mirror.Mds.Locks;
using Mirror.Mds.Store;

namespace Mirror.Mds.Clients;

/// <summary>
/// Connected clients (Lustre obd exports; IWM §2.2.5, §2.4.3): Connect with a durable clients row, leases
/// renewed by Ping (and by every lock call), eviction by lease expiry, by an unanswered lock callback or
/// by the EvictClient admin call. Eviction drops every lock of the client and tells the epochs
/// (<see cref="Evicted"/>); later lock calls from it fail with ESTALE "client evicted".
/// Lock order: model Sync (mutations) and the lock manager's gate are never taken under this gate.
/// </summary>
public sealed class ClientRegistry
{
    /// <summary>"drop" = a blocking callback is never sent (tests an unanswering holder).</summary>
    public const string CallbackFault = "mds.lock.callback";

    private readonly object gate = new();
    private readonly Dictionary<ulong, ClientSession> sessions = [];
    private readonly MdsModel model;
    private readonly LockManager locks;
    private readonly ILogger logger;

    public ClientRegistry(MdsModel model, LockManager locks, TimeSpan lease, ILogger logger)
    {
        this.model = model;
        this.locks = locks;
        this.logger = logger;
        Lease = lease;
        locks.CallbackSink = Deliver;
    }

    public TimeSpan Lease { get; }

    /// <summary>Recovery hooks (set by <see cref="Recovery.EpochRecovery"/>): is the MDS recovering, and a reconnect happened.</summary>
    public Func<bool> Recovering { get; set; } = () => false;

    public Action<ClientSession>? Reconnected { get; set; }

    /// <summary>Raised before an eviction drops the locks, with the locks the client holds (epochs persist "evicted").</summary>
    public Func<ClientSession, IReadOnlyList<MdsLock>, Task>? Evicting { get; set; }

    /// <summary>Raised after an eviction with the granted locks it dropped (the epochs act on AW locks).</summary>
    public Func<ClientSession, IReadOnlyList<MdsLock>, Task>? Evicted { get; set; }

    public event Action<ulong>? EvictionCounted;

    public event Action? CallbackSent;

    /// <summary>
    /// Connect. During recovery a known client_uuid gets its old id back (reconnected = true). Outside recovery
    /// a uuid that is still connected is a restarted client: the old session is evicted and a new id given.
    /// </summary>
    public async Task<ConnectResult> ConnectAsync(string uuid, bool iwmAware)
    {
        uuid = string.IsNullOrEmpty(uuid) ? "anonymous-" + Guid.NewGuid().ToString("N") : uuid;
        ClientSession? stale = null;
        var recovering = Recovering();
        var session = await model.MutateAsync(m =>
        {
            lock (gate)
            {
                var known = model.Clients.GetValueOrDefault(uuid);
                if (known is not null && recovering && !sessions.ContainsKey(known.ClientId))
                {
                    var back = new ClientSession(uuid, known.ClientId, known.IwmAware, m.NowNs);
                    sessions.Add(back.ClientId, back);
                    return (back, true);
                }

                if (known is not null && sessions.TryGetValue(known.ClientId, out var old) && !old.Evicted)
                {
                    stale = old;
                }

                var id = model.LastClientId + 1;
                m.SaveClient(new ClientRow(uuid, id, iwmAware, m.NowNs));
                var fresh = new ClientSession(uuid, id, iwmAware, m.NowNs);
                sessions.Add(id, fresh);
                return (fresh, false);
            }
        }).ConfigureAwait(false);

        if (stale is not null)
        {
            await EvictAsync(stale.ClientId, "reconnected as a new client", deleteRow: false).ConfigureAwait(false);
        }

        if (session.Item2)
        {
            Reconnected?.Invoke(session.Item1);
        }

        return new ConnectResult(session.Item1.ClientId, session.Item2, recovering);
    }

    /// <summary>The live session of a lock call; renews its lease. ESTALE when evicted or unknown (reconnect).</summary>
    public ClientSession Require(ulong clientId)
    {
        lock (gate)
        {
            if (!sessions.TryGetValue(clientId, out var s))
            {
                throw new MirrorException(Errno.ESTALE, $"client {clientId} is not connected (evicted or from before an MDS restart); connect again");
            }

            if (s.Evicted)
            {
                throw new MirrorException(Errno.ESTALE, $"client {clientId} evicted; connect again");
            }

            s.LastSeenNs = model.NowNs();
            return s;
        }
    }

    /// <summary>Lease renewal; true = the client is evicted (or unknown) and must reconnect.</summary>
    public bool Ping(ulong clientId)
    {
        lock (gate)
        {
            if (!sessions.TryGetValue(clientId, out var s) || s.Evicted)
            {
                return true;
            }

            s.LastSeenNs = model.NowNs();
            return false;
        }
    }

    /// <summary>
    /// The number of the last callback queued to a client, stamped into replies to its lock calls (mds.proto
    /// LockCallback.callback_seq): read after the handler's work, so it covers every callback that work sent.
    /// </summary>
    public ulong CallbackSeq(ulong clientId)
    {
        lock (gate)
        {
            return sessions.GetValueOrDefault(clientId)?.CallbackSeq ?? 0;
        }
    }

    /// <summary>A Callbacks stream took callback <paramref name="seq"/> from the queue.</summary>
    internal void Taken(ClientSession session, ulong seq)
    {
        lock (gate)
        {
            session.TakenSeq = Math.Max(session.TakenSeq, seq);
        }
    }

    internal ulong TakenSeq(ClientSession session)
    {
        lock (gate)
        {
            return session.TakenSeq;
        }
    }

    public ClientSession? Find(ulong clientId)
    {
        lock (gate)
        {
            return sessions.GetValueOrDefault(clientId);
        }
    }

    public IReadOnlyList<ClientSession> Live()
    {
        lock (gate)
        {
            return sessions.Values.Where(s => !s.Evicted).ToList();
        }
    }

    /// <summary>The callbacks of a client's stream; a newer stream replaces an older one (which ends).</summary>
    public (ClientSession Session, CancellationToken Stop) OpenCallbacks(ulong clientId, CancellationToken callEnded)
    {
        var session = Require(clientId);
        lock (gate)
        {
            session.Stream?.Cancel();
            session.Stream = CancellationTokenSource.CreateLinkedTokenSource(callEnded);
            return (session, session.Stream.Token);
        }
    }

    /// <summary>Evicts every client whose lease ran out (IWM §2.4.3.1).</summary>
    public async Task SweepLeasesAsync()
    {
        var limit = model.NowNs() - (long)(Lease.TotalMilliseconds * 1_000_000);
        List<ClientSession> expired;
        lock (gate)
        {
            expired = sessions.Values.Where(s => !s.Evicted && s.LastSeenNs <= limit).ToList();
        }

        foreach (var s in expired)
        {
            await EvictAsync(s.ClientId, $"not heard from for {Lease.TotalMilliseconds} ms").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Evicts a client: marks it evicted (later calls get ESTALE), ends its Callbacks stream, removes its
    /// durable row, drops all its locks, then lets the epochs handle the AW locks it held (§2.2.4).
    /// False when it was not connected.
    /// </summary>
    public async Task<bool> EvictAsync(ulong clientId, string reason, bool deleteRow = true)
    {
        ClientSession? session;
        lock (gate)
        {
            if (!sessions.TryGetValue(clientId, out session) || session.Evicted)
            {
                return false;
            }

            session.Evicted = true;
            session.Callbacks.Writer.TryComplete();
            session.Stream?.Cancel();
        }

        logger.Evicting(clientId, session.Uuid, reason);
        EvictionCounted?.Invoke(clientId);

        // The epochs learn of the eviction before its row or locks go: a close granted by the drop, or a
        // restart in between, already stales the secondaries (§2.2.4).
        if (Evicting is not null)
        {
            await Evicting(session, locks.HeldBy(clientId)).ConfigureAwait(false);
        }

        if (deleteRow)
        {
            try
            {
                await model.MutateAsync(m =>
                {
                    if (model.Clients.TryGetValue(session.Uuid, out var row) && row.ClientId == clientId)
                    {
                        m.DeleteClient(session.Uuid);
                    }

                    return true;
                }).ConfigureAwait(false);
            }
            catch (MirrorException e)
            {
                logger.ClientRowNotRemoved(clientId, e.Message);
            }
        }

        var dropped = locks.DropClient(clientId);
        if (Evicted is not null)
        {
            await Evicted(session, dropped).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Removes durable rows of clients that never came back after a restart (recovery end).</summary>
    internal Task ForgetAsync(IReadOnlyCollection<string> uuids) => model.MutateAsync(m =>
    {
        foreach (var uuid in uuids)
        {
            m.DeleteClient(uuid);
        }

        return true;
    });

    private void Deliver(BlockingCallback callback)
    {
        if (FaultPoints.Hit(CallbackFault))
        {
            return;
        }

        var sent = false;
        lock (gate)
        {
            // Numbered and queued under one gate: queue order is number order (the client waits for numbers).
            if (sessions.GetValueOrDefault(callback.Lock.ClientId) is { } session
                && session.Callbacks.Writer.TryWrite(callback with { Seq = session.CallbackSeq + 1 }))
            {
                session.CallbackSeq++;
                sent = true;
            }
        }

        if (sent)
        {
            CallbackSent?.Invoke();
        }
    }
}
