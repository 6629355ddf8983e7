using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Ost.Commit;
using Mirror.Ost.Objects;
using Mirror.Ost.Service;

namespace Mirror.Ost.Host;

/// <summary>
/// One OST data dir brought to life without any network: the data-dir lock, the identity, the commit
/// journal and its thread, the object store and the RPC handlers. <see cref="OstHost"/> adds the RPC
/// server and the MDS heartbeat; tests open a target directly to restart an OST over the same dir.
/// </summary>
public sealed class OstTarget : IDisposable
{
    private readonly DataDirLock dataDirLock;
    private readonly CommitThread commitThread;
    private bool disposed;

    private OstTarget(int index, string dataDir, DataDirLock dataDirLock, OstIdentity identity, CommitJournal journal, CommitThread commitThread, ObjectStore store)
    {
        Index = index;
        DataDir = dataDir;
        this.dataDirLock = dataDirLock;
        Identity = identity;
        Journal = journal;
        this.commitThread = commitThread;
        Store = store;
        Service = new OstService(index, identity.Uuid, Guid.NewGuid().ToString(), store, journal);
    }

    public int Index { get; }

    public string DataDir { get; }

    public OstIdentity Identity { get; }

    public CommitJournal Journal { get; }

    public ObjectStore Store { get; }

    public OstService Service { get; }

    /// <summary>Opens (formatting on first use) the data dir for OST <paramref name="index"/>.</summary>
    public static OstTarget Open(int index, string dataDir, TimeSpan commitInterval, ILoggerFactory? loggerFactory = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        loggerFactory ??= NullLoggerFactory.Instance;
        dataDir = Path.GetFullPath(dataDir);
        Directory.CreateDirectory(dataDir);
        var dataDirLock = DataDirLock.Acquire(dataDir);
        CommitThread? commitThread = null;
        try
        {
            var identity = OstIdentity.LoadOrCreate(dataDir, index);
            var journal = new CommitJournal(dataDir, index, loggerFactory.CreateLogger<CommitJournal>());
            var store = new ObjectStore(dataDir, journal, loggerFactory.CreateLogger<ObjectStore>());
            commitThread = new CommitThread(journal, commitInterval, loggerFactory.CreateLogger<CommitThread>());
            commitThread.Committed += duration => OstMetrics.CommitBatch(index, duration);
            OstMetrics.Register(index, journal, store);
            return new OstTarget(index, dataDir, dataDirLock, identity, journal, commitThread, store);
        }
        catch
        {
            commitThread?.Dispose();
            dataDirLock.Dispose();
            throw;
        }
    }

    /// <summary>Final commit, then closes every object and releases the data dir.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        OstMetrics.Unregister(Index, Journal);
        commitThread.Dispose();
        Store.Dispose();
        dataDirLock.Dispose();
    }
}
