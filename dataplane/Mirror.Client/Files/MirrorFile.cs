using System.Buffers;
using Mirror.Client.Metadata;
using Mirror.Client.Mirrors;
using Mirror.Client.Targets;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;
using MdsSetAttrRequest = Mirror.Protocol.Mds.SetAttrRequest;

namespace Mirror.Client.Files;

/// <summary>
/// An open regular file. Delayed-write FLR (flr-overview "Synchronization Model", IWM §1.1): the first
/// modification through a handle sends a write intent, after which the MDS has made every mirror but
/// the primary STALE, and writes go to <see cref="WriteTargets"/> only.
///
/// Write-behind: <see cref="WriteAsync"/> copies the data into a pooled buffer (<see cref="WriteOwnedAsync"/>
/// takes the caller's buffer instead) and returns once the OST write is started; up to <see cref="MirrorClientOptions.MaxWritesInFlight"/> writes stay in flight.
/// As with buffered IO, a failed write surfaces on the next write, fsync or close of this handle, and
/// stays reported (sticky) until the handle is closed. Overlapping writes are ordered (a write waits for
/// in-flight writes it overlaps), and reads wait for overlapping writes (read-your-writes).
///
/// Immediate Write Mirroring (layouts with ≥ 2 IMMEDIATE mirrors, MirrorFile.Immediate.cs): no write
/// intent; every modification runs under the file's AW lock and goes to the primary and every
/// INFLIGHT/IMMEDIATE non-STALE mirror; only a primary failure can reach the application.
///
/// Size: the MDS keeps a lazy size; the handle reports the end of its completed writes at fsync/close
/// and every <see cref="MirrorClientOptions.SizeUpdateBytes"/> of growth (close-to-open consistency).
/// </summary>
public sealed partial class MirrorFile : IAsyncDisposable
{
    private readonly MirrorClient client;
    private readonly SemaphoreSlim window;
    private readonly SemaphoreSlim layoutLock = new(1, 1);
    private readonly Dictionary<long, InflightWrite> inflight = [];
    private HandleWrites writes = new();
    private readonly ReadCache readCache;
    private FileLayout layout;
    private long nextWriteId;
    private bool writeIntentSent;
    private bool modified;
    private bool closed;
    private Exception? pendingError;
    private ulong size;
    private ulong completedEnd;
    private ulong reportedSize;

    internal MirrorFile(MirrorClient client, string path, FileAttr attr, FileLayout layout)
    {
        this.client = client;
        Path = path;
        Fid = attr.Fid;
        Attr = attr;
        this.layout = layout;
        size = attr.Size;
        reportedSize = attr.Size;
        window = new SemaphoreSlim(Math.Max(1, client.Options.MaxWritesInFlight));
        readCache = client.OpenReadCache(attr.Fid);
    }

    public string Path { get; }

    public Fid Fid { get; }

    /// <summary>Attributes as of open.</summary>
    public FileAttr Attr { get; }

    /// <summary>True when <see cref="MirrorClient.CreateAsync"/> made the file (false: it existed).</summary>
    public bool Created { get; init; }

    /// <summary>The layout this handle holds (refreshed on ESTALE and by the write intent).</summary>
    public FileLayout Layout => Volatile.Read(ref layout);

    /// <summary>The file size as this handle knows it: the size at open, grown by its writes, set by its truncates.</summary>
    public ulong Size
    {
        get { lock (inflight) { return size; } }
    }

    /// <summary>The handle's read cache (IWM §2.2.7.3 keeps it across STATE_ONLY_CHANGE layouts).</summary>
    public ReadCache Cache => readCache;

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>; fewer only at end of file.</summary>
    public async Task<int> ReadAsync(ulong offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        ThrowIfClosed();
        await WaitForOverlapsAsync(offset, offset + (ulong)buffer.Length);
        var fileSize = Size;
        if (offset >= fileSize || buffer.Length == 0)
        {
            return 0;
        }

        var n = (int)Math.Min((ulong)buffer.Length, fileSize - offset);
        await RefreshImmediateLayoutAsync(ct);
        for (var attempt = 0; ; attempt++)
        {
            var held = Layout;
            if (readCache.TryRead(offset, buffer.Span[..n], held.Generation))
            {
                return n;
            }

            var seen = readCache.Version;
            try
            {
                await client.Reader.ReadAsync(Fid, held, offset, buffer[..n], ct);
                readCache.Store(offset, buffer.Span[..n], held.Generation, seen);
                return n;
            }
            catch (MirrorException e) when (e.Errno == Errno.ESTALE && attempt == 0)
            {
                await RefreshLayoutAsync(held.Generation, forWrite: false, ct);
            }
            catch (MirrorException e) when (e.Errno == Errno.EIO && attempt == 0)
            {
                // Every mirror the held layout calls readable failed. The layout may be older than the MDS's: a
                // flag-only change (an epoch close that made a dead primary STALE and the secondaries readable,
                // IWM §2.2.7.3) revokes LAYOUT CR without waiting, so its callback can still be on the way. Ask the
                // MDS; read again only if the layout moved on, else the EIO stands.
                if (client.Locks is { } locks)
                {
                    await locks.DropLayoutAsync(Fid, held.Generation);
                }

                await RefreshLayoutAsync(held.Generation, forWrite: false, ct);
                if (Layout.Generation == held.Generation)
                {
                    throw;
                }
            }
        }
    }

    /// <summary>Queues a write of <paramref name="data"/> at <paramref name="offset"/> (write-behind, see the class comment).</summary>
    /// <remarks>The data is copied into a pooled buffer first; a caller that can give up its buffer calls <see cref="WriteOwnedAsync"/>.</remarks>
    public Task WriteAsync(ulong offset, ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        var copy = PooledCopy.Of(data.Span);
        return WriteOwnedAsync(offset, copy.Memory, copy, ct);
    }

    /// <summary>
    /// Queues a write like <see cref="WriteAsync"/> without copying: the handle takes <paramref name="owner"/>,
    /// which keeps <paramref name="data"/> valid and unchanged, and disposes it exactly once when every OST
    /// written has answered (acknowledged or failed), or at once when the write is refused before it is queued
    /// (an earlier error, ENOSPC, a closed handle, cancellation). The FUSE bridge hands over the request
    /// buffer the kernel's data was read into. Errors are reported as for <see cref="WriteAsync"/>.
    /// </summary>
    public async Task WriteOwnedAsync(ulong offset, ReadOnlyMemory<byte> data, IDisposable owner, CancellationToken ct = default)
    {
        var queued = false;
        try
        {
            ThrowIfClosed();
            ThrowPendingError();
            if (data.Length == 0)
            {
                return;
            }

            await PrepareWriteAsync(offset, data.Length, ct);
            await window.WaitAsync(ct);
            queued = true;
        }
        finally
        {
            if (!queued)
            {
                owner.Dispose();
            }
        }

        await QueueWriteAsync(offset, data, owner, ct);
    }

    /// <summary>Quota, write intent, read cache and ordering before a write takes a window slot.</summary>
    private async Task PrepareWriteAsync(ulong offset, int length, CancellationToken ct)
    {
        await client.ReserveAsync(Fid, offset + (ulong)length, ct); // volume quota grant: ENOSPC before any data is sent
        await EnsureWriteIntentUnlessImmediateAsync(ct);
        var end = offset + (ulong)length;
        readCache.Invalidate(offset, end);
        await WaitForOverlapsAsync(offset, end);
    }

    /// <summary>Starts the write (a window slot is held) and reports the size when the handle grew enough.</summary>
    private async Task QueueWriteAsync(ulong offset, ReadOnlyMemory<byte> data, IDisposable owner, CancellationToken ct)
    {
        var entry = new InflightWrite(offset, offset + (ulong)data.Length);
        long id;
        lock (inflight)
        {
            id = nextWriteId++;
            inflight.Add(id, entry);
            size = Math.Max(size, entry.End);
            modified = true;
        }

        _ = RunWriteAsync(id, entry, data, owner);

        ulong grown;
        lock (inflight)
        {
            grown = completedEnd > reportedSize ? completedEnd - reportedSize : 0;
        }

        if (grown >= client.Options.SizeUpdateBytes)
        {
            await ReportSizeAsync(ct);
        }
    }

    /// <summary>Truncates (or extends) the file: every stripe object of the written mirror(s) to its size, then the MDS size.</summary>
    public async Task TruncateAsync(ulong newSize, CancellationToken ct = default)
    {
        ThrowIfClosed();
        await DrainAsync();
        ThrowPendingError();
        if (newSize > Size)
        {
            await client.ReserveAsync(Fid, newSize, ct); // volume quota: ENOSPC before any object grows
        }

        readCache.Invalidate(Math.Min(newSize, Size), ulong.MaxValue);
        await ModifyAsync((held, mirrors, t) => client.Writer.TruncateAsync(Fid, held.Generation, mirrors, newSize, t), ct);
        await client.Mds.SetAttrAsync(
            new MdsSetAttrRequest
            {
                Fid = Fid.ToMsg(),
                Valid = (uint)(SetAttrValid.SetattrSize | SetAttrValid.SetattrMtime),
                Size = newSize,
                MtimeNs = FileAttr.ToNs(DateTimeOffset.UtcNow),
            },
            ct);
        lock (inflight)
        {
            size = newSize;
            completedEnd = newSize;
            reportedSize = newSize;
        }

        client.ForgetGrant(Fid); // the MDS reset the reservation to the new size; a cached grant would outlive it
    }

    /// <summary>
    /// Waits for in-flight writes, confirms their commit on every OST written (OST Sync where needed) and
    /// reports the size. Delayed-write FLR: any commit failure is EIO. IWM: a commit failure is a mirror
    /// failure (MirrorFile.Commit.cs); the application sees it only when no IMMEDIATE mirror committed everything.
    /// A failure stays reported until the handle is closed.
    /// </summary>
    public async Task FsyncAsync(CancellationToken ct = default)
    {
        ThrowIfClosed();
        await DrainAsync();
        ThrowPendingError();
        HandleWrites taken;
        lock (inflight)
        {
            taken = writes;
            writes = new HandleWrites();
        }

        try
        {
            await CommitAsync(taken, ct);
        }
        catch (MirrorException e) when (!ct.IsCancellationRequested)
        {
            Interlocked.CompareExchange(ref pendingError, e, null);
            throw;
        }

        await ReportSizeAsync(ct);
    }

    /// <summary>Flushes the write-behind window and reports the size (close-to-open); throws a write error not yet reported.</summary>
    public async Task CloseAsync(CancellationToken ct = default)
    {
        if (closed)
        {
            return;
        }

        await DrainAsync();
        closed = true;
        try
        {
            ThrowPendingError();
            await ReportSizeAsync(ct);
        }
        finally
        {
            client.CloseReadCache(Fid);
            window.Dispose();
            layoutLock.Dispose();
        }
    }

    public async ValueTask DisposeAsync() => await CloseAsync();

    private async Task RunWriteAsync(long id, InflightWrite entry, ReadOnlyMemory<byte> data, IDisposable owner)
    {
        var calls = new List<Task>();
        try
        {
            await ModifyAsync(
                (held, mirrors, t) =>
                {
                    var call = client.Writer.WriteAsync(Fid, held.Generation, mirrors, entry.Start, data, t);
                    lock (calls)
                    {
                        calls.Add(call);
                    }

                    return call;
                },
                CancellationToken.None);
            lock (inflight)
            {
                completedEnd = Math.Max(completedEnd, entry.End);
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref pendingError, e, null);
        }
        finally
        {
            // Before the write counts as done: a drain (fsync, close) returns with the buffer given back.
            ReleaseWhenSent(calls, owner);
            lock (inflight)
            {
                inflight.Remove(id);
            }

            window.Release();
            entry.Done.TrySetResult();
        }
    }

    /// <summary>
    /// The data's owner goes back once no OST call still reads it. A secondary that ran out of its fast-fail
    /// budget (ImmediateFanout) is no longer waited for, but its call may still be sending: its owner waits.
    /// </summary>
    private static void ReleaseWhenSent(List<Task> calls, IDisposable owner)
    {
        Task[] pending;
        lock (calls)
        {
            pending = calls.Where(c => !c.IsCompleted).ToArray();
        }

        if (pending.Length == 0)
        {
            owner.Dispose();
            return;
        }

        _ = Task.WhenAll(pending).ContinueWith(_ => owner.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Applies one modification to <see cref="WriteTargets.For"/> of the held layout. ESTALE (the OST saw a
    /// newer layout generation) refetches the layout through a new write intent and retries once.
    /// In delayed-write mode there is one target, so any mirror error fails the operation.
    /// </summary>
    private async Task ModifyMirrorsAsync(Func<FileLayout, IReadOnlyList<LayoutMirror>, CancellationToken, Task<MirrorWriteResult>> modify, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var held = Layout;
            var result = await modify(held, WriteTargets.For(held), ct);
            lock (inflight)
            {
                foreach (var (ost, mirrors) in result.MirrorsByOst)
                {
                    writes.Add(ost, client.Targets.Get(ost), mirrors, immediate: false);
                }
            }

            if (result.Errors.IsEmpty)
            {
                return;
            }

            var errors = result.Errors.Errors;
            if (attempt == 0 && errors.Any(e => e.Errno == Errno.ESTALE))
            {
                await RefreshLayoutAsync(held.Generation, forWrite: true, ct);
                continue;
            }

            var first = errors.First();
            throw new MirrorException(first.Errno, $"{Path}: mirror {first.MirrorId}: {first.Message}");
        }
    }

    private async Task EnsureWriteIntentAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref writeIntentSent))
        {
            return;
        }

        await layoutLock.WaitAsync(ct);
        try
        {
            if (!writeIntentSent)
            {
                var reply = await MirrorClient.WithPath(Path, () => client.Mds.LayoutIntentAsync(Fid, LayoutIntentOp.IntentWrite, ct));
                AdoptLayout(reply.Layout);
                Volatile.Write(ref writeIntentSent, true);
            }
        }
        finally
        {
            layoutLock.Release();
        }
    }

    /// <summary>Installs a layout the handle learned; the read cache keeps or drops its data (IWM §2.2.7.3).</summary>
    private void AdoptLayout(FileLayout next)
    {
        lock (inflight)
        {
            if (next.Generation == layout.Generation && ReferenceEquals(next, layout))
            {
                return;
            }

            readCache.OnLayout(next);
            Volatile.Write(ref layout, next);
        }
    }

    private async Task RefreshLayoutAsync(uint staleGeneration, bool forWrite, CancellationToken ct)
    {
        await layoutLock.WaitAsync(ct);
        try
        {
            if (Layout.Generation != staleGeneration)
            {
                return;
            }

            var reply = forWrite || writeIntentSent
                ? await client.Mds.LayoutIntentAsync(Fid, LayoutIntentOp.IntentWrite, ct)
                : await client.Mds.GetLayoutAsync(Fid, ct);
            AdoptLayout(reply.Layout);
        }
        finally
        {
            layoutLock.Release();
        }
    }

    private async Task ReportSizeAsync(CancellationToken ct)
    {
        ulong end;
        lock (inflight)
        {
            if (!modified)
            {
                return;
            }

            end = completedEnd;
        }

        await client.Mds.UpdateSizeAsync(Fid, end, DateTimeOffset.UtcNow, ct);
        lock (inflight)
        {
            reportedSize = Math.Max(reportedSize, end);
            modified = inflight.Count != 0;
        }
    }

    private Task WaitForOverlapsAsync(ulong start, ulong end)
    {
        Task[] overlapping;
        lock (inflight)
        {
            if (inflight.Count == 0)
            {
                return Task.CompletedTask;
            }

            overlapping = inflight.Values.Where(w => w.Start < end && start < w.End).Select(w => (Task)w.Done.Task).ToArray();
        }

        return overlapping.Length == 0 ? Task.CompletedTask : Task.WhenAll(overlapping);
    }

    private Task DrainAsync()
    {
        Task[] all;
        lock (inflight)
        {
            all = inflight.Values.Select(w => (Task)w.Done.Task).ToArray();
        }

        return Task.WhenAll(all);
    }

    private void ThrowPendingError()
    {
        var error = Volatile.Read(ref pendingError);
        if (error is not null)
        {
            throw error is MirrorException m
                ? new MirrorException(m.Errno, $"an earlier write failed: {m.Message}", m)
                : new MirrorException(Errno.EIO, $"{Path}: an earlier write failed: {error.Message}", error);
        }
    }

    private void ThrowIfClosed()
    {
        if (closed)
        {
            throw new MirrorException(Errno.EBADF, $"{Path}: the handle is closed");
        }
    }

    /// <summary>A pooled copy of a caller's data (<see cref="WriteAsync"/>), returned when the write ends.</summary>
    private sealed class PooledCopy : IDisposable
    {
        private byte[]? buffer;

        private PooledCopy(byte[] buffer, int length)
        {
            this.buffer = buffer;
            Memory = buffer.AsMemory(0, length);
        }

        public ReadOnlyMemory<byte> Memory { get; }

        public static PooledCopy Of(ReadOnlySpan<byte> data)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(data.Length);
            data.CopyTo(buffer);
            return new PooledCopy(buffer, data.Length);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref buffer, null) is { } b)
            {
                ArrayPool<byte>.Shared.Return(b);
            }
        }
    }

    private sealed class InflightWrite(ulong start, ulong end)
    {
        public ulong Start { get; } = start;

        public ulong End { get; } = end;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
