using Mirror.Core.Errors;

namespace Mirror.Cli.Local;

/// <summary>
/// DIR/.lock held open exclusively while a `local` command changes the cluster, so that two of them
/// (two `up`s, `up` and `down`) never start or stop the same process at once. On Linux .NET takes an
/// advisory flock for FileShare.None; the lock goes with the process if it dies.
/// </summary>
internal static class ClusterLock
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    public static IDisposable Acquire(string dir)
    {
        var path = Path.Combine(dir, ".lock");
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
            catch (IOException e)
            {
                throw new MirrorException(Errno.EBUSY, $"another `mirrorctl local` command holds {path} for more than {Wait.TotalSeconds:0}s", e);
            }
        }
    }
}
