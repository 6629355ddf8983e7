using Mirror.Core.Errors;

namespace Mirror.Mds.Host;

/// <summary>
/// An exclusive lock on the data dir's "lock" file, held while the MDS runs, so two MDS processes never share
/// one SQLite store. .NET's FileShare.None on Linux takes a flock(LOCK_EX) advisory lock; the kernel drops it
/// when the process dies (kill -9 included), so a crash never leaves a stale lock.
/// </summary>
public sealed class DataDirLock : IDisposable
{
    private readonly FileStream stream;

    private DataDirLock(FileStream stream) => this.stream = stream;

    public static DataDirLock Acquire(string dataDir)
    {
        var path = Path.Combine(dataDir, "lock");
        try
        {
            return new DataDirLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e)
        {
            throw new MirrorException(Errno.EBUSY, $"data dir {dataDir} is in use by another MDS ({e.Message})", e);
        }
    }

    public void Dispose() => stream.Dispose();
}
