using Mirror.Fsx;

namespace Mirror.Fsx.Tests;

/// <summary>How <see cref="CorruptingFile"/> misbehaves, each a bug a file system can have.</summary>
public enum Corruption
{
    /// <summary>Flips one bit in what a read returns.</summary>
    FlipReadBit,

    /// <summary>Acknowledges a write without doing it.</summary>
    LoseWrite,

    /// <summary>Acknowledges a truncate without doing it.</summary>
    IgnoreTruncate,

    /// <summary>Does not zero a punched hole.</summary>
    IgnorePunch,
}

/// <summary>A real file that goes wrong from the <paramref name="from"/>th call of the kind it corrupts.</summary>
public sealed class CorruptingFile(IFsxFile inner, Corruption corruption, int from) : IFsxFile
{
    private int calls;

    public long Size => inner.Size;

    public int Read(long offset, Span<byte> buffer)
    {
        var n = inner.Read(offset, buffer);
        if (corruption == Corruption.FlipReadBit && n > 0 && ++calls >= from)
        {
            buffer[n / 2] ^= 0x10;
        }

        return n;
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        if (corruption == Corruption.LoseWrite && ++calls >= from)
        {
            return;
        }

        inner.Write(offset, data);
    }

    public void Truncate(long size)
    {
        if (corruption == Corruption.IgnoreTruncate && ++calls >= from)
        {
            return;
        }

        inner.Truncate(size);
    }

    public void PunchHole(long offset, long length)
    {
        if (corruption == Corruption.IgnorePunch && ++calls >= from)
        {
            return;
        }

        inner.PunchHole(offset, length);
    }

    public void Fsync() => inner.Fsync();

    public void Reopen() => inner.Reopen();

    public void Dispose() => inner.Dispose();
}
