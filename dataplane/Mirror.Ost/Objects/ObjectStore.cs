using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Ost.Commit;

namespace Mirror.Ost.Objects;

/// <summary>
/// The OST's objects on local disk (Lustre's osd). Each object is one sparse regular file under
/// <c>DATADIR/objects</c> (see <see cref="ObjectKey"/> for the path). Every modifying operation is
/// applied to the file and then stamped by <see cref="CommitJournal.Record"/> with a transno; the
/// commit thread makes it durable later. Objects are created on first modification, like Lustre's
/// objects created on first write.
/// Locks: the handle cache's lock (briefly), an object's generation lock (check+record only), the
/// journal's gate (inside Record). No lock is held across file I/O.
/// </summary>
public sealed partial class ObjectStore : IDisposable
{
    /// <summary>Largest write or read one call may carry (ARCHITECTURE §6: message sizes are bounded).</summary>
    public const int MaxIoBytes = 64 * 1024 * 1024;

    public const string ObjectsDirectoryName = "objects";

    private readonly string dataDir;
    private readonly string root;
    private readonly CommitJournal journal;
    private readonly ObjectHandleCache cache;
    private readonly ILogger logger;
    private readonly bool directIo;
    private long objectCount;
    private long directBytesWritten;
    private long stagedDirectBytes;

    /// <param name="directIo">Large aligned writes bypass the page cache (<see cref="DirectIo"/>); false keeps every write buffered.</param>
    public ObjectStore(string dataDir, CommitJournal journal, ILogger logger, int maxOpenObjects = 1024, bool directIo = true)
    {
        this.dataDir = dataDir;
        this.directIo = directIo;
        this.journal = journal;
        this.logger = logger;
        root = Path.Combine(dataDir, ObjectsDirectoryName);
        if (!Directory.Exists(root))
        {
            Directory.CreateDirectory(root);
            LinuxSyscalls.FsyncDirectory(dataDir);
        }

        cache = new ObjectHandleCache(maxOpenObjects);
        ProbeXattrs();
        objectCount = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).LongCount();
    }

    public long ObjectCount => Interlocked.Read(ref objectCount);

    /// <summary>Open object files held by the cache (for tests and metrics).</summary>
    public int OpenObjects => cache.Count;

    public string ObjectsRoot => root;

    /// <summary>Bytes written past the page cache (<see cref="DirectIo"/>) since the store opened.</summary>
    public long DirectBytesWritten => Interlocked.Read(ref directBytesWritten);

    /// <summary>Of <see cref="DirectBytesWritten"/>, those copied to an aligned buffer first (their payload was not aligned).</summary>
    public long StagedDirectBytes => Interlocked.Read(ref stagedDirectBytes);

    public StoreStatfs Statfs()
    {
        var (total, free) = LinuxSyscalls.Statvfs(root);
        return new StoreStatfs(total, free, (ulong)Math.Max(0, ObjectCount));
    }

    /// <summary>Destroys one object. Idempotent: a missing object still gets a transno.</summary>
    public ulong Destroy(ObjectKey key)
    {
        var path = PathOf(key);
        cache.Remove(key);
        if (!Unlink(path))
        {
            return journal.Record();
        }

        LogDestroyed(logger, key.Fid, key.ComponentId, key.StripeIndex);
        return journal.Record(new DirectoryItem(Path.GetDirectoryName(path)!));
    }

    /// <summary>Destroys every object of <paramref name="fid"/> on this OST (all components and stripes).</summary>
    public ulong DestroyFile(Fid fid)
    {
        var directory = Path.Combine(root, ObjectKey.FileDirectory(fid));
        var prefix = ObjectKey.FileNamePrefix(fid);
        var removed = 0;
        if (Directory.Exists(directory))
        {
            foreach (var path in Directory.EnumerateFiles(directory, prefix + "*"))
            {
                if (TryParseKey(fid, Path.GetFileName(path), out var key))
                {
                    cache.Remove(key);
                }

                if (Unlink(path))
                {
                    removed++;
                }
            }
        }

        return removed == 0 ? journal.Record() : journal.Record(new DirectoryItem(directory));
    }

    public void Dispose() => cache.Dispose();

    internal string PathOf(ObjectKey key) => Path.Combine(root, key.RelativePath);

    /// <summary>
    /// The object's open file with a reference the caller must release, or null when it does not exist
    /// and <paramref name="create"/> is false.
    /// </summary>
    private ObjectLease Open(ObjectKey key, bool create)
    {
        var cached = cache.TryGet(key);
        if (cached is not null)
        {
            return new ObjectLease(cached);
        }

        var path = PathOf(key);
        List<IDurableItem>? newNames = null;
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            if (!create)
            {
                return default;
            }

            newNames = [];
            handle = Create(path, newNames);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw IoErrors.Map(e, "open", key);
        }

        OpenObject opened;
        try
        {
            opened = new OpenObject(key, path, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        if (newNames is { Count: > 0 })
        {
            // The creation is a change of its own: its directory entries become durable with the
            // batch that covers this transno, even if the operation that created it then fails.
            journal.Record([.. newNames]);
        }

        return new ObjectLease(cache.Add(opened));
    }

    private SafeFileHandle Create(string path, List<IDurableItem> newNames)
    {
        var directory = Path.GetDirectoryName(path)!;
        EnsureDirectory(directory, newNames);
        try
        {
            var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            Interlocked.Increment(ref objectCount);
            newNames.Add(new DirectoryItem(directory));
            return handle;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another operation created it between our open and create.
            return File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
    }

    /// <summary>Creates the fan-out directories; each new one makes its parent's entries dirty.</summary>
    private void EnsureDirectory(string directory, List<IDurableItem> newNames)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        var parent = Path.GetDirectoryName(directory)!;
        EnsureDirectory(parent, newNames);
        Directory.CreateDirectory(directory);
        newNames.Add(new DirectoryItem(parent));
    }

    private bool Unlink(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MirrorException(Errno.EIO, $"destroy {path} failed: {e.Message}", e);
        }

        Interlocked.Decrement(ref objectCount);
        return true;
    }

    private static bool TryParseKey(Fid fid, string fileName, out ObjectKey key)
    {
        key = default;
        var rest = fileName.AsSpan(ObjectKey.FileNamePrefix(fid).Length);
        var dash = rest.IndexOf("-s", StringComparison.Ordinal);
        if (dash <= 0 || !uint.TryParse(rest[..dash], out var component) || !uint.TryParse(rest[(dash + 2)..], out var stripe))
        {
            return false;
        }

        key = new ObjectKey(fid, component, stripe);
        return true;
    }

    /// <summary>Layout generations live in a user xattr; refuse a data dir whose file system has none.</summary>
    private void ProbeXattrs()
    {
        var probe = Path.Combine(dataDir, ".xattr-probe");
        try
        {
            using var handle = File.OpenHandle(probe, FileMode.Create, FileAccess.ReadWrite);
            LinuxSyscalls.SetUInt32Xattr(handle, OpenObject.LayoutGenerationXattr, 1, probe);
        }
        catch (MirrorException e)
        {
            throw new MirrorException(Errno.ENOTSUP, $"data dir {dataDir}: its file system does not support user xattrs, which hold the layout generation of each object ({e.Message})", e);
        }
        finally
        {
            File.Delete(probe);
        }
    }

    private readonly struct ObjectLease(OpenObject? value) : IDisposable
    {
        public bool Exists => value is not null;

        public OpenObject Object => value ?? throw new InvalidOperationException("no object");

        public void Dispose() => value?.Release();
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "destroyed object {Fid} component {ComponentId} stripe {StripeIndex}")]
    private static partial void LogDestroyed(ILogger logger, Fid fid, uint componentId, uint stripeIndex);
}
