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
    private string bootId;

    public LeaseKeeper(MdsClient mds, ClientLockCache cache, ILogger? logger = null)
    {
        this.mds = mds;
        this.cache = cache;
        this.logger = logger ?? NullLogger.Instance;
        bootId = mds.MdsBootId;
        cache.OnEvictionDetected = () => RecoverAsync(evicted: true);
    }

    /// <summary>The ping period: a third of the lease the MDS announced (30 s when it announced none).</summary>
    public TimeSpan PingInterval => TimeSpan.FromMilliseconds((mds.LeaseMs == 0 ? 30000 : mds.LeaseMs) / 3.0);

    /// <summary>Times this client reconnected after an eviction or an MDS restart.</summary>
    public int Reconnects { get; private set; }

    /// <summary>True while the Callbacks stream is open.</summary>
    public bool StreamOpen { get; private set; }

    public void Start()
    {
        pingLoop = Task.Run(PingLoopAsync);
        callbackLoop = Task.Run(CallbackLoopAsync);
    }

    /// <summary>One lease renewal; also the detection of eviction and MDS restart. Returns false when the MDS has no Ping.</summary>
    public async Task<bool> PingOnceAsync(CancellationToken ct = default)
    {
        try
        {
            var reply = await mds.PingAsync(ct);
            if (reply.Evicted)
            {
                await RecoverAsync(evicted: true);
            }
            else if (reply.MdsBootId.Length != 0 && bootId.Length != 0 && reply.MdsBootId != bootId)
            {
                await RecoverAsync(evicted: false);
            }
        }
        catch (MirrorException e) when (ClientLockCache.IsEvicted(e))
        {
            await RecoverAsync(evicted: true);
        }
        catch (MirrorException e) when (e.InnerException is RpcException { Status: StatusCode.Unimplemented } || e.Message.Contains("UNIMPLEMENTED", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("not implemented", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogPingFailed(e.Message);
        }

        return true;
    }

    /// <summary>Eviction or MDS restart: reconnect with the same uuid, then drop (evicted) or replay (restart) the locks, and reopen the stream.</summary>
    public async Task RecoverAsync(bool evicted)
    {
        await recovering.WaitAsync();
        try
        {
            if (evicted)
            {
                cache.OnEvicted();
            }

            var reply = await mds.ReconnectAsync(stop.Token);
            if (!evicted)
            {
                if (reply.Reconnected)
                {
                    await cache.ReplayAsync(stop.Token);
                }
                else
                {
                    cache.OnEvicted();
                }
            }

            bootId = reply.MdsBootId;
            Reconnects++;
            LogReconnected(evicted ? "evicted" : "MDS restarted", reply.ClientId);
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
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, stop.Token);
            try
            {
                StreamOpen = true;
                await foreach (var callback in mds.CallbacksAsync(linked.Token).WithCancellation(linked.Token))
                {
                    backoff = TimeSpan.FromMilliseconds(50);
                    _ = Task.Run(() => cache.HandleCallbackAsync(callback));
                }
            }
            catch (RpcException e) when (e.Status == StatusCode.Unimplemented)
            {
                StreamOpen = false;
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
                    _ = RecoverAsync(evicted: true);
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
