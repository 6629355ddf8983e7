using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Client.Metadata;
using Mirror.Client.Mirrors;
using Mirror.Client.Targets;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Faults;
using Mirror.Protocol.Mds;

namespace Mirror.Client.Locks;

/// <summary>
/// The client's lock cache (Lustre's ldlm namespace on the client, reduced to the two IWM inode bits).
///
/// Acquisition (IWM §2.2.7, strict order): LAYOUT CR first (the layout it returns is valid while the
/// lock is held), then, for an IWM file, AW CW (its grant opens or joins the epoch and returns the layout
/// with INFLIGHT secondaries). Both are cached: LAYOUT until its callback, AW until idle for
/// <see cref="IwmOptions.IdleRelease"/> or its callback.
///
/// Callbacks (§2.2.7.2, §2.2.6): LAYOUT → drop the cached layout and cancel at once, no flush. AW →
/// release: wait for the operations running under it, commit-before-release (§2.2.2), then LockCancel
/// with the error report. Fault point "client.lock.callback" (drop) leaves a callback unanswered.
///
/// Eviction (§2.4.3): every lock is gone; nothing is cancelled. MDS restart (§2.2.5): held locks are
/// replayed with their LVBs (<see cref="ReplayAsync"/>).
/// </summary>
public sealed partial class ClientLockCache : IAsyncDisposable
{
    public const string CallbackFaultPoint = "client.lock.callback";
    public const string SyncFaultPoint = "client.sync";

    private readonly ConcurrentDictionary<Fid, FileLocks> files = new();
    private readonly MdsClient mds;
    private readonly IOstTargetSet targets;
    private readonly ILogger logger;
    private readonly Timer idleTimer;
    private readonly RevokedHandles revoked = new();

    public ClientLockCache(MdsClient mds, IOstTargetSet targets, IwmOptions? options = null, ILogger? logger = null)
    {
        this.mds = mds;
        this.targets = targets;
        Options = options ?? new IwmOptions();
        this.logger = logger ?? NullLogger.Instance;
        var tick = TimeSpan.FromMilliseconds(Math.Max(20, Options.IdleRelease.TotalMilliseconds / 4));
        idleTimer = new Timer(_ => ReleaseIdle(), null, tick, tick);
    }

    public IwmOptions Options { get; }

    /// <summary>Called when an MDS call says this client was evicted (the lease keeper reconnects).</summary>
    public Func<ulong, string, Task>? OnEvictionDetected { get; set; }

    public FileLocks For(Fid fid) => files.GetOrAdd(fid, f => new FileLocks(f));

    public IEnumerable<ActiveWriterLock> ActiveWriters => files.Values.Select(f => f.ActiveWriter).OfType<ActiveWriterLock>();

    /// <summary>The layout under a LAYOUT CR lock: the cached one, or a fresh enqueue (IO restart after a LAYOUT callback).</summary>
    public async Task<Core.Layouts.FileLayout> LayoutAsync(Fid fid, CancellationToken ct = default)
    {
        var file = For(fid);
        if (file.LayoutHandle != 0 && file.Layout is { } cached)
        {
            return cached;
        }

        for (var evictionRetry = 0; ; evictionRetry++)
        {
            var (seenId, seenBoot) = (mds.ClientId, mds.MdsBootId);
            await file.Gate.WaitAsync(ct);
            try
            {
                return await EnsureLayoutLockedAsync(file, ct);
            }
            catch (MirrorException e) when (IsEvicted(e) && evictionRetry == 0 && OnEvictionDetected is not null)
            {
                // Reconnect outside the gate, then enqueue again.
            }
            finally
            {
                file.Gate.Release();
            }

            await OnEvictionDetected!(seenId, seenBoot);
        }
    }

    /// <summary>
    /// Enters the file's write epoch: LAYOUT CR, then AW CW (both reused when cached). Null when the layout is
    /// not an IWM file (the caller writes delayed-FLR). The caller must <see cref="ActiveWriterLock.Exit"/>.
    /// </summary>
    public async Task<ActiveWriterLock?> EnterAsync(Fid fid, CancellationToken ct = default)
    {
        var file = For(fid);
        for (var evictionRetry = 0; ;)
        {
            var current = file.ActiveWriter;
            if (current is not null && file.LayoutHandle != 0 && current.TryEnter())
            {
                return current;
            }

            if (current is { Release: { } release })
            {
                await release.WaitAsync(ct);
                continue;
            }

            var evicted = false;
            var (seenId, seenBoot) = (mds.ClientId, mds.MdsBootId);
            await file.Gate.WaitAsync(ct);
            try
            {
                var layout = await EnsureLayoutLockedAsync(file, ct);
                if (!WriteTargets.IsImmediate(layout))
                {
                    return null;
                }

                if (file.ActiveWriter is null)
                {
                    var grant = await mds.LockEnqueueAsync(fid, LockBit.ActiveWriters, LockMode.Cw, LayoutIntentOp.IntentNone, ct);
                    if (revoked.Remove(grant.Handle))
                    {
                        // Its callback came before this reply (and was answered with a cancel): enqueue again.
                        await CancelQuietlyAsync(grant.Handle, default);
                        continue;
                    }

                    if (grant.Layout is { } granted)
                    {
                        file.Adopt(granted.Layout);
                    }

                    file.ActiveWriter = new ActiveWriterLock(file, grant.Handle, grant.EpochId);
                    IwmMetrics.EpochsHeld.Add(1);
                    LogEpochJoined(fid, grant.EpochId, grant.Handle);
                }
            }
            catch (MirrorException e) when (IsEvicted(e) && evictionRetry++ == 0 && OnEvictionDetected is not null)
            {
                evicted = true;
            }
            finally
            {
                file.Gate.Release();
            }

            if (evicted)
            {
                await OnEvictionDetected!(seenId, seenBoot);
            }
        }
    }

    /// <summary>
    /// Gives up the LAYOUT CR lock voluntarily when the cached layout is <paramref name="staleGeneration"/> or older
    /// (an OST said ESTALE, or an epoch is closing): the next IO re-enqueues it and learns the new layout (§2.2.7.2).
    /// </summary>
    public async Task DropLayoutAsync(Fid fid, uint staleGeneration)
    {
        var file = For(fid);
        ulong handle;
        await file.Gate.WaitAsync();
        try
        {
            if (file.LayoutHandle == 0 || (file.Layout is { } l && l.Generation > staleGeneration))
            {
                return;
            }

            handle = file.LayoutHandle;
            file.LayoutHandle = 0;
        }
        finally
        {
            file.Gate.Release();
        }

        await CancelQuietlyAsync(handle, default);
    }

    /// <summary>
    /// Dispatches one blocking callback from the Callbacks stream. The revocation takes effect before this
    /// returns (the layout is dropped, the AW lock takes no new operations: the reply ordering of
    /// <see cref="CallbackOrder"/> counts on it); the returned task is the cancel or the AW release.
    /// </summary>
    public Task HandleCallbackAsync(LockCallback callback)
    {
        try
        {
            if (FaultPoints.Hit(CallbackFaultPoint))
            {
                LogCallbackDropped(callback.LockHandle);
                return Task.CompletedTask;
            }
        }
        catch (MirrorException e)
        {
            return Task.FromException(e);
        }

        var fid = callback.Fid.ToFid();
        var file = For(fid);
        var bits = (LockBit)callback.Bits;
        var work = new List<Task>(2);
        if (bits.HasFlag(LockBit.Layout))
        {
            // IWM §2.2.7.2: light — forget the layout, cancel at once, never flush.
            if (file.LayoutHandle == callback.LockHandle)
            {
                file.LayoutHandle = 0;
            }
            else
            {
                revoked.Add(callback.LockHandle);
            }

            LogLayoutCallback(fid, callback.LockHandle, callback.LayoutGeneration);
            work.Add(CancelQuietlyAsync(callback.LockHandle, default));
        }

        if (bits.HasFlag(LockBit.ActiveWriters) && file.ActiveWriter is { } aw && aw.Handle == callback.LockHandle)
        {
            work.Add(ReleaseAsync(aw, "callback"));
        }
        else if (bits.HasFlag(LockBit.ActiveWriters))
        {
            // Not (or not yet) ours: cancelling an unknown handle tells the MDS not to wait for it. A grant
            // still on its way with this handle is then not installed (RevokedHandles).
            revoked.Add(callback.LockHandle);
            work.Add(CancelQuietlyAsync(callback.LockHandle, default));
        }

        return Task.WhenAll(work);
    }

    /// <summary>After a reconnect: lock handles of the old session mean nothing to the new one.</summary>
    public void ForgetRevoked() => revoked.Clear();

    /// <summary>Eviction (IWM §2.4.3): every lock is gone without a cancel; operations running under a lost AW lock finish (the application sees only primary failures).</summary>
    public void OnEvicted()
    {
        foreach (var file in files.Values)
        {
            file.LayoutHandle = 0;
            if (file.ActiveWriter is { } aw)
            {
                file.ActiveWriter = null;
                if (aw.StartRelease(() => Task.CompletedTask, lost: true).IsCompleted && aw.Lost)
                {
                    IwmMetrics.EpochsHeld.Add(-1);
                    IwmMetrics.AwReleases.Add(1, new KeyValuePair<string, object?>("reason", "evicted"));
                }
            }
        }

        LogEvicted(files.Count);
    }

    /// <summary>After an MDS restart (IWM §2.2.5): replays every held lock, AW locks with their error reports, and takes the new handles.</summary>
    public async Task ReplayAsync(CancellationToken ct = default)
    {
        var held = new List<(HeldLock Lock, Action<ulong> SetHandle)>();
        foreach (var file in files.Values)
        {
            if (file.LayoutHandle != 0)
            {
                var f = file;
                held.Add((new HeldLock { Fid = f.Fid.ToMsg(), Bits = (uint)LockBit.Layout, Mode = LockMode.Cr }, h => f.LayoutHandle = h));
            }

            if (file.ActiveWriter is { Lost: false } aw && file.Layout is { } layout)
            {
                var lvb = aw.BuildReport(layout).Encode();
                held.Add((new HeldLock { Fid = file.Fid.ToMsg(), Bits = (uint)LockBit.ActiveWriters, Mode = LockMode.Cw, Lvb = Google.Protobuf.ByteString.CopyFrom(lvb) }, h => aw.Handle = h));
            }
        }

        if (held.Count == 0)
        {
            return;
        }

        var handles = await mds.LockReplayAsync(held.Select(h => h.Lock), ct);
        for (var i = 0; i < held.Count && i < handles.Count; i++)
        {
            held[i].SetHandle(handles[i]);
        }

        LogReplayed(held.Count);
    }

    public async ValueTask DisposeAsync()
    {
        await idleTimer.DisposeAsync();
        await Task.WhenAll(ActiveWriters.Select(aw => ReleaseAsync(aw, "close")));
    }

    internal static bool IsEvicted(MirrorException e) =>
        e.Errno == Errno.ESTALE && e.Message.Contains("evict", StringComparison.OrdinalIgnoreCase);

    private async Task<Core.Layouts.FileLayout> EnsureLayoutLockedAsync(FileLocks file, CancellationToken ct)
    {
        if (file.LayoutHandle != 0 && file.Layout is { } cached)
        {
            return cached;
        }

        var grant = await mds.LockEnqueueAsync(file.Fid, LockBit.Layout, LockMode.Cr, LayoutIntentOp.IntentNone, ct);
        var layout = grant.Layout?.Layout ?? (await mds.GetLayoutAsync(file.Fid, ct)).Layout;
        file.Layout = layout;

        // A callback for this handle that came before the reply already cancelled it: this IO uses the
        // layout of the grant (as one started just before the callback would), the next one enqueues again.
        file.LayoutHandle = revoked.Remove(grant.Handle) ? 0 : grant.Handle;
        return layout;
    }

    private async Task CancelQuietlyAsync(ulong handle, ReadOnlyMemory<byte> lvb)
    {
        try
        {
            await mds.LockCancelAsync(handle, lvb);
        }
        catch (Exception e)
        {
            LogCancelFailed(default, handle, e.Message);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "{Fid}: joined write epoch {EpochId} (AW lock {Handle})")]
    private partial void LogEpochJoined(Fid fid, ulong epochId, ulong handle);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "{Fid}: released AW lock {Handle} ({Reason}), error mask {Mask}")]
    private partial void LogReleased(Fid fid, ulong handle, string reason, ushort mask);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "{Fid}: cancel of lock {Handle} failed: {Reason}")]
    private partial void LogCancelFailed(Fid fid, ulong handle, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Debug, Message = "{Fid}: layout lock {Handle} called back (generation {Generation}); layout dropped")]
    private partial void LogLayoutCallback(Fid fid, ulong handle, uint generation);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "lock callback for {Handle} dropped by fault point")]
    private partial void LogCallbackDropped(ulong handle);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "evicted by the MDS: dropped the locks of {Files} file(s)")]
    private partial void LogEvicted(int files);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "replayed {Count} lock(s) to the restarted MDS")]
    private partial void LogReplayed(int count);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "{Fid}: commit before AW release failed on OST{Ost}: {Reason}")]
    private partial void LogSyncFailed(Fid fid, int ost, string reason);
}
