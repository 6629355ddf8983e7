using Mirror.Core.Errors;

namespace Mirror.Client.Metadata;

/// <summary>
/// Reply ordering (mds.proto LockCallback.callback_seq): the MDS numbers the blocking callbacks it queues to
/// this client and stamps the last number into its replies to our lock calls. A reply is returned only
/// after the callback dispatcher has handled every callback up to that number, so a reply that travelled on
/// another connection (the bulk channel) cannot overtake a revocation the MDS sent before it.
///
/// "Handled" means the revocation took effect (the layout dropped, the AW lock releasing), not that its
/// cancel finished: a release may wait for operations whose replies wait here. Waiting applies only while a
/// dispatcher is attached (the lease keeper runs the Callbacks stream). A new session (Connect) restarts the
/// numbering and lets every waiter go (reconnect semantics: what was lost goes with eviction or replay).
/// </summary>
public sealed class CallbackOrder
{
    private readonly object gate = new();
    private readonly List<(ulong Seq, TaskCompletionSource Done)> waiters = [];
    private ulong handled;
    private long session;

    /// <summary>True while a dispatcher consumes the Callbacks stream; otherwise replies are not held.</summary>
    public bool Attached { get; set; }

    /// <summary>The session of the numbering; a stream passes the one it was opened in to <see cref="Handled"/>.</summary>
    public long Session => Interlocked.Read(ref session);

    /// <summary>The highest callback number handled in this session.</summary>
    public ulong HandledSeq
    {
        get
        {
            lock (gate)
            {
                return handled;
            }
        }
    }

    /// <summary>The dispatcher handled callbacks up to <paramref name="seq"/> (or a stream marker said they went); a stale session's stream is ignored.</summary>
    public void Handled(ulong seq, long inSession)
    {
        List<TaskCompletionSource>? ready = null;
        lock (gate)
        {
            if (inSession != session || seq <= handled)
            {
                return;
            }

            handled = seq;
            for (var i = waiters.Count - 1; i >= 0; i--)
            {
                if (waiters[i].Seq <= seq)
                {
                    (ready ??= []).Add(waiters[i].Done);
                    waiters.RemoveAt(i);
                }
            }
        }

        ready?.ForEach(t => t.TrySetResult());
    }

    /// <summary>A new session (Connect): numbering restarts at 0 and every waiter goes.</summary>
    public void Reset()
    {
        List<TaskCompletionSource> all;
        lock (gate)
        {
            session++;
            handled = 0;
            all = waiters.Select(w => w.Done).ToList();
            waiters.Clear();
        }

        all.ForEach(t => t.TrySetResult());
    }

    /// <summary>Waits until callback <paramref name="seq"/> is handled; ETIMEDOUT at <paramref name="deadline"/>.</summary>
    public async ValueTask WaitAsync(ulong seq, DateTime deadline, CancellationToken ct)
    {
        TaskCompletionSource done;
        lock (gate)
        {
            if (!Attached || seq <= handled)
            {
                return;
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add((seq, done));
        }

        var left = deadline - DateTime.UtcNow;
        try
        {
            await done.Task.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            lock (gate)
            {
                waiters.RemoveAll(w => w.Done == done);
            }

            throw new MirrorException(Errno.ETIMEDOUT,
                $"MDS reply waits for lock callback {seq}, but the Callbacks stream handled only {HandledSeq} by the call's deadline");
        }
    }
}
