using Mirror.Client.Locks;
using Mirror.Client.Mirrors;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Rpc;

namespace Mirror.Client.Files;

/// <summary>
/// The Immediate Write Mirroring path of a handle (IWM §2.1, §2.3).
///
/// Completion policy (IWM §4.1, our choice): a modification is done — for ordering of overlapping writes,
/// for fsync and for the AW release — when the primary has it and every secondary has it or was
/// fast-failed within its budget (<see cref="IwmOptions.SecondaryTimeout"/> × (1 + <see cref="IwmOptions.SecondaryRetries"/>)).
/// The application's result is the primary's alone (§2.3.3.1): write-behind writes report it on the
/// next write/fsync/close as before; a secondary failure only goes into the epoch's error report.
/// </summary>
public sealed partial class MirrorFile
{
    private const uint FallocKeepSize = 0x01;  // FALLOC_FL_KEEP_SIZE
    private const uint FallocPunchHole = 0x02; // FALLOC_FL_PUNCH_HOLE

    /// <summary>True while this handle writes through AW locks: an IWM-aware client, an IWM layout, an MDS that has the lock calls.</summary>
    public bool UsesImmediate => client.Locks is not null && !client.ImmediateUnsupported && WriteTargets.IsImmediate(Layout);

    /// <summary>Punches a hole (FALLOC_FL_PUNCH_HOLE) into every written mirror (IWM §2.3.2.1).</summary>
    public async Task PunchAsync(ulong offset, ulong length, CancellationToken ct = default)
    {
        ThrowIfClosed();
        await DrainAsync();
        ThrowPendingError();
        readCache.Invalidate(offset, offset + length);
        await ModifyAsync((held, mirrors, t) => client.Writer.PunchAsync(Fid, held.Generation, mirrors, offset, (long)length, t), ct);
    }

    /// <summary>Preallocates [offset, offset+length) (FALLOC_FL_* <paramref name="mode"/>, 0 = allocate) on every written mirror.</summary>
    public async Task FallocateAsync(ulong offset, ulong length, uint mode = 0, CancellationToken ct = default)
    {
        ThrowIfClosed();
        await DrainAsync();
        ThrowPendingError();
        if ((mode & (FallocKeepSize | FallocPunchHole)) == 0)
        {
            await client.ReserveAsync(Fid, offset + length, ct); // a size-extending fallocate is charged like a write
        }

        readCache.Invalidate(offset, offset + length);
        await ModifyAsync((held, mirrors, t) => client.Writer.FallocateAsync(Fid, held.Generation, mirrors, offset, (long)length, mode, t), ct);
    }

    /// <summary>Sets the mtime on every written mirror's objects and on the MDS (IWM §2.3.2.1 time setattr).</summary>
    public async Task SetMtimeAsync(DateTimeOffset mtime, CancellationToken ct = default)
    {
        ThrowIfClosed();
        await DrainAsync();
        ThrowPendingError();
        await ModifyAsync((held, mirrors, t) => client.Writer.SetMtimeAsync(Fid, held.Generation, mirrors, mtime, t), ct);
        await client.Mds.SetAttrAsync(
            new Protocol.Mds.SetAttrRequest { Fid = Mirror.Protocol.LayoutConversion.ToMsg(Fid), Valid = (uint)Protocol.Mds.SetAttrValid.SetattrMtime, MtimeNs = Metadata.FileAttr.ToNs(mtime) },
            ct);
    }

    /// <summary>One modification: the IWM fan-out for an IWM file, else delayed-write FLR (write intent, primary only).</summary>
    private async Task ModifyAsync(Func<FileLayout, IReadOnlyList<LayoutMirror>, CancellationToken, Task<MirrorWriteResult>> modify, CancellationToken ct)
    {
        if (!UsesImmediate || !await ModifyImmediateAsync(modify, ct))
        {
            await EnsureWriteIntentAsync(ct);
            await ModifyMirrorsAsync(modify, ct);
        }
    }

    private async Task EnsureWriteIntentUnlessImmediateAsync(CancellationToken ct)
    {
        if (!UsesImmediate)
        {
            await EnsureWriteIntentAsync(ct);
        }
    }

    /// <summary>An IWM file's layout comes from the LAYOUT CR lock (cached; re-enqueued after a callback).</summary>
    private async Task RefreshImmediateLayoutAsync(CancellationToken ct)
    {
        if (!UsesImmediate)
        {
            return;
        }

        try
        {
            AdoptLayout(await client.Locks!.LayoutAsync(Fid, ct));
        }
        catch (MirrorException e) when (IsUnimplemented(e))
        {
            client.ImmediateUnsupported = true;
        }
    }

    /// <summary>
    /// IWM §2.3: enter the epoch (LAYOUT CR, then AW CW), fan out to the primary and the secondaries, record
    /// OSTs and errors in the epoch. ESTALE (layout moved on, §2.2.7.2) restarts once from the layout lock in
    /// the same epoch. A primary failure (§2.4.4) releases the AW lock with the report (the MDS closes the epoch
    /// with the primary STALE) and restarts under the next epoch's primary; all mirrors failing is EIO.
    /// Returns false when the file turned out not to be an IWM file (the caller writes delayed-FLR).
    /// </summary>
    private async Task<bool> ModifyImmediateAsync(Func<FileLayout, IReadOnlyList<LayoutMirror>, CancellationToken, Task<MirrorWriteResult>> modify, CancellationToken ct)
    {
        var locks = client.Locks!;
        var options = locks.Options;
        var restarts = 0;
        var staleRetried = false;
        (ushort Mirror, uint Generation)? failedPrimary = null;
        var closeDeadline = DateTime.MaxValue;
        var backoff = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            ActiveWriterLock? aw;
            try
            {
                aw = await locks.EnterAsync(Fid, ct);
            }
            catch (MirrorException e) when (IsUnimplemented(e))
            {
                client.ImmediateUnsupported = true;
                return false;
            }

            if (aw is null)
            {
                AdoptLayout(locks.For(Fid).Layout ?? Layout);
                return false;
            }

            FileLayout held;
            ImmediateResult result;
            try
            {
                held = aw.Layout;
                AdoptLayout(held);
                var targets = WriteTargets.ForImmediate(held);
                if (failedPrimary is { } fp && targets.Primary.Id == fp.Mirror && held.Generation <= fp.Generation && DateTime.UtcNow < closeDeadline)
                {
                    // The MDS has not closed the failed epoch yet (it holds AW EX soon, §2.2.4): wait for the new layout.
                    await Task.Delay(backoff, ct);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMilliseconds(500).Ticks));
                    await locks.DropLayoutAsync(Fid, held.Generation);
                    continue;
                }

                result = await ImmediateFanout.RunAsync(targets, (m, t) => modify(held, [m], t), options.SecondaryTimeout, options.SecondaryRetries, ct);
                var stale = result.Secondaries.Append(result.Primary).Any(f => f?.Error.Errno == Errno.ESTALE);
                if (stale && !staleRetried)
                {
                    staleRetried = true;
                    await locks.DropLayoutAsync(Fid, held.Generation);
                    continue;
                }

                aw.Record(result, client.Targets.Get);
                IwmMetrics.SecondaryErrors.Add(result.Secondaries.Count);
            }
            finally
            {
                aw.Exit();
            }

            lock (inflight)
            {
                // fsync confirms the commit on every mirror written; one IMMEDIATE mirror holding everything suffices (§2.4.4).
                foreach (var (ost, mirrors) in result.MirrorsByOst)
                {
                    writes.Add(ost, client.Targets.Get(ost), mirrors, immediate: true);
                }

                writes.ImmediateMirrors.UnionWith(result.Targets.Secondaries.Append(result.Targets.Primary).Select(m => m.Id));
                writes.FailedMirrors.UnionWith(result.Secondaries.Append(result.Primary).OfType<ImmediateFailure>().Select(f => f.Mirror.Id));
                writes.Epochs.Add(aw);
            }

            if (result.Primary is not { } failed)
            {
                return true;
            }

            // IWM §2.4.4: report and close the epoch; the next one leads with a clean mirror.
            await locks.ReleaseAsync(aw, "primary-error");
            if (result.AllFailed || ++restarts >= held.Mirrors.Count)
            {
                throw new MirrorException(Errno.EIO, $"{Path}: every immediate mirror failed (primary {failed.Mirror.Id}: {failed.Error.Message})");
            }

            IwmMetrics.PrimaryRestarts.Add(1);
            failedPrimary = (failed.Mirror.Id, held.Generation);
            closeDeadline = DateTime.UtcNow + options.EpochCloseWait;
            await locks.DropLayoutAsync(Fid, held.Generation);
        }
    }

    private static bool IsUnimplemented(MirrorException e) => e.InnerException is RpcException { Status: StatusCode.Unimplemented };
}
