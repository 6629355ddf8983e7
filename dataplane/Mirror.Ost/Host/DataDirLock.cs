using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Mirror.Core.Errors;
using Mirror.Ost.Objects;

namespace Mirror.Ost.Host;

/// <summary>
/// An exclusive flock on <c>DATADIR/lock</c> held for the OST's lifetime, so two live OSTs never serve
/// one data dir. The kernel drops the lock when the process dies, so a killed OST never blocks its
/// successor. The owner's pid goes to <c>DATADIR/lock.owner</c> (a separate file: .NET flocks every
/// file it opens, so the locked file itself cannot be read by a refused process) and is named in the refusal.
/// </summary>
public sealed class DataDirLock : IDisposable
{
    public const string FileName = "lock";

    public const string OwnerFileName = "lock.owner";

    private readonly SafeFileHandle handle;

    private DataDirLock(SafeFileHandle handle) => this.handle = handle;

    public static DataDirLock Acquire(string dataDir)
    {
        var path = Path.Combine(dataDir, FileName);
        SafeFileHandle handle;
        try
        {
            // FileShare.None makes .NET take flock(LOCK_EX|LOCK_NB) itself; the explicit flock below
            // keeps the guarantee when DOTNET_SYSTEM_IO_DISABLEFILELOCKING turns that off.
            handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw Held(dataDir, path, e);
        }

        if (!LinuxSyscalls.TryLockExclusive(handle))
        {
            handle.Dispose();
            throw Held(dataDir, path, null);
        }

        File.WriteAllText(Path.Combine(dataDir, OwnerFileName), Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        return new DataDirLock(handle);
    }

    public void Dispose() => handle.Dispose();

    private static MirrorException Held(string dataDir, string path, Exception? inner)
    {
        string owner;
        try
        {
            owner = "pid " + File.ReadAllText(Path.Combine(dataDir, OwnerFileName)).Trim();
        }
        catch (IOException)
        {
            owner = "another process";
        }

        var message = $"data dir {dataDir} is in use by another OST ({owner} holds {path}); stop it or choose another data dir";
        return inner is null ? new MirrorException(Errno.EBUSY, message) : new MirrorException(Errno.EBUSY, message, inner);
    }
}
