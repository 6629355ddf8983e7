using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Client.Metadata;
using Mirror.Core.Errors;
using Mirror.Rpc;

namespace Mirror.Client.Locks;

/// <summary>
/// Keeps this client known to the MDS (IWM protocol "Leases"): pings every lease/3 and keeps the Callbacks
/// stream open (reopening it when it breaks), handing each callback to the <see cref="ClientLockCache"/>.
///
/// Eviction (PingReply.evicted, or ESTALE "evicted" from any call): the cache drops every lock, the client
/// connects again with the same client_uuid, and the stream is reopened. An MDS restart (a new
/// mds_boot_id): connect again with the same uuid; if the MDS recognises us (reconnected) the held locks
/// are replayed with their LVBs (§2.2.5), otherwise it is an eviction. An MDS without these calls
/// (UNIMPLEMENTED) stops the keeper: the client then never takes IWM locks' callbacks.
/// </summary>
public sealed partial class LeaseKeeper : IAsyncDisposable
{
    private readonly MdsClient mds;
    private readonly ClientLockCache cache;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stop = new();
    private readonly SemaphoreSlim recovering = new(1, 1);
    private CancellationTokenSource streamCancel = new();
    private Task? pingLoop;
    private Task? callbackLoop;

    public LeaseKeeper(MdsClient mds, ClientLockCache cache, ILogger? logger = null)
    {
        this.mds = mds;
        this.cache = cache;
        this.logger = logger ?? NullLogger.Instance;
        cache.OnEvictionDetected = RecoverAsync;
    }

    /// <summary>The ping period: a third of the lease the MDS announced (30 s when it announced none).</summary>
    public TimeSpan PingInterval => TimeSpan.FromMilliseconds((mds.LeaseMs == 0 ? 30000 : mds.LeaseMs) / 3.0);

    /// <summary>Times this client reconnected after an eviction or an MDS restart.</summary>
    public int Reconnects { get; private set; }

    /// <summary>True while the Callbacks stream is open.</summary>
    public bool StreamOpen { get; private set; }

    public void Start()
    {
        mds.CallbackOrder.Attached = true;
        pingLoop = Task.Run(PingLoopAsync);
        callbackLoop = Task.Run(CallbackLoopAsync);
    }

    /// <summary>One lease renewal; also the detection of eviction and MDS restart. Returns false when the MDS has no Ping.</summary>
    public async Task<bool> PingOnceAsync(CancellationToken ct = default)
    {
        var (seenId, seenBoot) = (mds.ClientId, mds.MdsBootId);
        try
        {
            var reply = await mds.PingAsync(ct);
            var restarted = reply.MdsBootId.Length != 0 && reply.MdsBootId != seenBoot;
            if (reply.Evicted || restarted)
            {
                await RecoverAsync(seenId, seenBoot);
            }
        }
        catch (MirrorException e) when (ClientLockCache.IsEvicted(e))
        {
            await RecoverAsync(seenId, seenBoot);
        }
        catch (MirrorException e) when (e.InnerException is RpcException { Status: StatusCode.Unimplemented })
        {
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogPingFailed(e.Message);
        }

        return true;
    }

    /// <summary>
    /// Eviction or MDS restart: connect again with the same uuid. A restarted MDS that recognises us
    /// (reconnected, §2.2.5) gets our locks replayed with their LVBs; anything else is an eviction: every
    /// lock is dropped (§2.4.3). Then the Callbacks stream is reopened.
    /// </summary>
    /// <remarks>
    /// <paramref name="seenClientId"/>/<paramref name="seenBootId"/>: the session the caller saw fail; when another
    /// caller already recovered from it, nothing is done (a second Connect would evict the fresh session).
    /// </remarks>
    public async Task RecoverAsync(ulong seenClientId, string seenBootId)
    {
        await recovering.WaitAsync();
        try
        {
            if (mds.ClientId != seenClientId || mds.MdsBootId != seenBootId)
            {
                return;
            }

            var reply = await mds.ReconnectAsync(stop.Token);
            var restarted = reply.MdsBootId.Length != 0 && reply.MdsBootId != seenBootId;
            if (restarted && reply.Reconnected)
            {
                await cache.ReplayAsync(stop.Token);
            }
            else
            {
                cache.OnEvicted();
            }

            cache.ForgetRevoked();
            Reconnects++;
            LogReconnected(restarted ? "MDS restarted" : "evicted", reply.ClientId);
            var old = Interlocked.Exchange(ref streamCancel, new CancellationTokenSource());
            await old.CancelAsync();
            old.Dispose();
        }
        finally
        {
            recovering.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        mds.CallbackOrder.Attached = false;
        await stop.CancelAsync();
        await streamCancel.CancelAsync();
        foreach (var loop in new[] { pingLoop, callbackLoop }.OfType<Task>())
        {
            try
            {
                await loop;
            }
            catch (OperationCanceledException)
            {
            }
        }

        stop.Dispose();
        streamCancel.Dispose();
        recovering.Dispose();
    }

    private async Task PingLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(PingInterval, stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!await PingOnceAsync(stop.Token))
            {
                return;
            }
        }
    }

    private async Task CallbackLoopAsync()
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (!stop.IsCancellationRequested)
        {
            var token = Volatile.Read(ref streamCancel).Token;
            var (seenId, seenBoot, session) = (mds.ClientId, mds.MdsBootId, mds.CallbackOrder.Session);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, stop.Token);
            try
            {
                StreamOpen = true;
                await foreach (var callback in mds.CallbacksAsync(linked.Token).WithCancellation(linked.Token))
                {
                    backoff = TimeSpan.FromMilliseconds(50);

                    // In stream order: the revocation takes effect here, before replies numbered after it
                    // are let go (CallbackOrder); the cancel or AW release runs on.
                    if (callback.LockHandle != 0)
                    {
                        _ = cache.HandleCallbackAsync(callback);
                    }
                    else
                    {
                        // The stream's opening marker: this stream belongs to the session connected now.
                        session = mds.CallbackOrder.Session;
                    }

                    mds.CallbackOrder.Handled(callback.CallbackSeq, session);
                }
            }
            catch (RpcException e) when (e.Status == StatusCode.Unimplemented)
            {
                StreamOpen = false;
                mds.CallbackOrder.Attached = false;
                return;
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                if (!token.IsCancellationRequested)
                {
                    LogStreamBroken(e.Message);
                }

                if (e is RpcException { Errno: Errno.ESTALE } || (e is MirrorException m && ClientLockCache.IsEvicted(m)))
                {
                    _ = RecoverAsync(seenId, seenBoot);
                }
            }
            catch (Exception)
            {
                StreamOpen = false;
                return;
            }

            StreamOpen = false;
            try
            {
                await Task.Delay(backoff, stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "ping to the MDS failed: {Reason}")]
    private partial void LogPingFailed(string reason);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "reconnected to the MDS ({Why}); client id {ClientId}")]
    private partial void LogReconnected(string why, ulong clientId);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Debug, Message = "callbacks stream broke: {Reason}; reopening")]
    private partial void LogStreamBroken(string reason);
}
