using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Mirror.Mds.Store;

/// <summary>
/// Makes a committed batch durable with one fdatasync of the SQLite write-ahead log (README.md "Durability").
/// The bundled e_sqlite3 is built without HAVE_FDATASYNC and syncs with fsync, which also commits the inode's
/// changed mtime through the ext4 journal; fdatasync of a WAL region that is overwritten (the file does not
/// grow) flushes only the data. The committer's connection therefore runs with synchronous=NORMAL (SQLite does
/// not sync at COMMIT, and still syncs the WAL before a checkpoint copies it and the database before the WAL
/// restarts) and calls <see cref="Sync"/> after every COMMIT, before any caller of the batch is answered.
/// </summary>
internal sealed partial class WalSync : IDisposable
{
    private readonly SafeFileHandle handle;

    /// <summary>
    /// Opens the WAL of <paramref name="databasePath"/> read-only (enough for fdatasync). Call while a connection
    /// to the database is open and has read it: the WAL exists then, and SQLite unlinks it only when the last
    /// connection closes, so the file opened here stays the database's WAL while the committer's connection lives.
    /// SQLite takes no POSIX locks on the WAL (they live on the database and -shm files), so this descriptor
    /// cannot drop one when it is closed.
    /// </summary>
    public WalSync(string databasePath)
    {
        Path = databasePath + "-wal";
        handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
    }

    public string Path { get; }

    /// <summary>fdatasync of the WAL: every frame written so far (and the file size when it grew) is on stable storage.</summary>
    public void Sync()
    {
        if (FdataSync((int)handle.DangerousGetHandle()) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"fdatasync of {Path} failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
        }
    }

    public void Dispose() => handle.Dispose();

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FdataSync(int fd);
}
