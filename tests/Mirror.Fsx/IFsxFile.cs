namespace Mirror.Fsx;

/// <summary>
/// The file under test, as the checker drives it: one open file, positional I/O, no mmap. The real
/// implementation is <see cref="PosixFile"/>; tests wrap it in a corrupting file to prove the
/// checker notices a wrong byte.
/// </summary>
public interface IFsxFile : IDisposable
{
    /// <summary>pwrite(2) of all of <paramref name="data"/> at <paramref name="offset"/>.</summary>
    void Write(long offset, ReadOnlySpan<byte> data);

    /// <summary>pread(2) until <paramref name="buffer"/> is full or end of file; returns the bytes read.</summary>
    int Read(long offset, Span<byte> buffer);

    /// <summary>ftruncate(2).</summary>
    void Truncate(long size);

    /// <summary>fallocate(2) with FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE.</summary>
    void PunchHole(long offset, long length);

    /// <summary>fsync(2).</summary>
    void Fsync();

    /// <summary>close(2) then open(2) the same path again (close-to-open: the data must survive).</summary>
    void Reopen();

    /// <summary>The size fstat(2) reports.</summary>
    long Size { get; }
}
