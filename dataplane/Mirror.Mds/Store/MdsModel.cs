using Microsoft.Extensions.Logging;
using Mirror.Core;
using Mirror.Mds.Changelog;
using Mirror.Mds.Layouts;
using Mirror.Mds.Namespace;

namespace Mirror.Mds.Store;

/// <summary>
/// The in-memory metadata model every read is served from, and the mutation pipeline that keeps SQLite
/// authoritative (README.md): a mutation validates and applies to memory under <see cref="Sync"/>, its store
/// ops are queued to the <see cref="GroupCommitter"/> under the same lock (so disk order = memory order), and
/// the caller's task completes only after the batch holding it is durable.
/// Lock order: <see cref="Sync"/> is the only model lock; nothing blocking (I/O, RPC) happens under it.
/// </summary>
public sealed class MdsModel : IDisposable
{
    /// <summary>The first sequence of FIDs allocated for new inodes (Lustre's first normal sequence).</summary>
    public const ulong FirstSequence = 0x200000400UL;

    private readonly GroupCommitter committer;

    internal MdsModel(MdsDatabase database, TimeProvider clock, ILogger logger, Action<int, double>? onBatch)
    {
        Database = database;
        Clock = clock;
        Logger = logger;
        committer = new GroupCommitter(database, logger, onBatch);
    }

    /// <summary>Guards every field below and every <see cref="Inode"/>.</summary>
    public object Sync { get; } = new();

    public MdsDatabase Database { get; }

    public TimeProvider Clock { get; }

    public ILogger Logger { get; }

    public Dictionary<Fid, Inode> Inodes { get; } = [];

    /// <summary>Last allocated FID counter (durable in meta "last_oid", written with each create).</summary>
    public ulong LastOid { get; set; }

    public ulong LastChangelogIndex { get; set; }

    public Dictionary<string, ChangelogConsumer> Consumers { get; } = new(StringComparer.Ordinal);

    public long LastConsumerNumber { get; set; }

    public Dictionary<uint, OstRecord> Osts { get; } = [];

    public Dictionary<long, OrphanObject> Orphans { get; } = [];

    public long LastOrphanId { get; set; }

    /// <summary>The durable active-epoch set (IWM §2.2.5), as stored: FID → row.</summary>
    public Dictionary<Fid, EpochRow> ActiveEpochs { get; } = [];

    /// <summary>Volumes (filesets with a capacity quota, ARCHITECTURE §3) by name.</summary>
    public Dictionary<string, Volumes.Volume> Volumes { get; } = new(StringComparer.Ordinal);

    /// <summary>Durable client table by client uuid (IWM §2.2.5).</summary>
    public Dictionary<string, ClientRow> Clients { get; } = new(StringComparer.Ordinal);

    /// <summary>Highest epoch id handed out (meta "last_epoch_id"); epoch ids never repeat across restarts.</summary>
    public ulong LastEpochId { get; set; }

    /// <summary>Highest client id handed out (meta "last_client_id").</summary>
    public ulong LastClientId { get; set; }

    /// <summary>Round-robin start for placement; not durable (any start is fine after a restart).</summary>
    public ulong PlacementCursor { get; set; }

    /// <summary>Raised (outside the lock) after a commit that queued orphans; wakes the destroyer.</summary>
    public event Action? OrphansQueued;

    /// <summary>False after a failed commit (served as /healthz 503).</summary>
    public bool Healthy => committer.Healthy;

    public long NowNs() => (Clock.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;

    public Inode Get(Fid fid) =>
        Inodes.TryGetValue(fid, out var inode) ? inode : throw new Core.Errors.MirrorException(Core.Errors.Errno.ENOENT, $"no inode {fid}");

    /// <summary>Runs a read under the model lock.</summary>
    public T Read<T>(Func<T> read)
    {
        lock (Sync)
        {
            return read();
        }
    }

    /// <summary>
    /// Validates and applies <paramref name="apply"/> to memory under the lock, then waits until its changes
    /// are durable. <paramref name="apply"/> must throw before it changes anything (bad input changes nothing).
    /// </summary>
    public async Task<T> MutateAsync<T>(Func<Mutation, T> apply)
    {
        GroupCommitter.Pending commit;
        T result;
        bool orphans;
        bool lead;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        lock (Sync)
        {
            committer.ThrowIfFailed();
            var mutation = new Mutation(this);
            result = apply(mutation);
            var ops = mutation.Finish();
            if (ops.Count == 0)
            {
                return result;
            }

            orphans = mutation.QueuedOrphans;
            commit = committer.Enqueue(ops, out lead);
        }

        StoreMetrics.Apply.Record(StoreMetrics.Seconds(started));
        if (lead)
        {
            // Outside the model lock: the commit's I/O never blocks readers or the next mutation's apply.
            committer.Lead();
        }

        await commit.Done!.Task.ConfigureAwait(false);
        StoreMetrics.Resume.Record(StoreMetrics.Seconds(commit.DurableAt));
        if (orphans)
        {
            OrphansQueued?.Invoke();
        }

        return result;
    }

    /// <summary>
    /// Applies <paramref name="apply"/> to memory now and lets its ops ride in a later batch, without waiting for
    /// them to be durable. Only for changes that a crash may lose because they are redone after a restart
    /// (GroupCommitter.EnqueueLazy); never for anything a reply promises.
    /// </summary>
    public void MutateLazily(Action<Mutation> apply)
    {
        lock (Sync)
        {
            committer.ThrowIfFailed();
            var mutation = new Mutation(this);
            apply(mutation);
            var ops = mutation.Finish();
            if (ops.Count > 0)
            {
                committer.EnqueueLazy(ops);
            }
        }
    }

    public void Dispose() => committer.Dispose();
}
