namespace Mirror.Ost.Commit;

/// <summary>
/// Something a modifying operation changed in the page cache that a commit batch must make durable: an
/// object file (fdatasync/fsync) or a directory whose entries changed (directory fsync).
/// </summary>
public interface IDurableItem
{
    /// <summary>Flushes the item to stable storage; throws <see cref="Core.Errors.MirrorException"/> (EIO) on failure.</summary>
    void MakeDurable();

    /// <summary>Keeps the item (its open descriptor) alive while it sits in the dirty set.</summary>
    void Retain();

    void Release();
}

/// <summary>A directory that gained or lost a name (object created or destroyed, fan-out directory made).</summary>
public sealed record DirectoryItem(string Path) : IDurableItem
{
    public void MakeDurable() => Objects.LinuxSyscalls.FsyncDirectory(Path);

    public void Retain()
    {
    }

    public void Release()
    {
    }
}
