namespace Mirror.Fsx;

/// <summary>
/// What the file must contain: its bytes up to <see cref="Size"/> (zeros in holes and after a
/// truncate up), and which operation last wrote each byte so a failure can say who wrote what.
/// </summary>
public sealed class FsxModel(long maxFileSize)
{
    private readonly byte[] data = new byte[maxFileSize];
    private readonly int[] writer = new int[maxFileSize];

    public long Size { get; private set; }

    public ReadOnlySpan<byte> Bytes(long offset, long length) => data.AsSpan((int)offset, (int)length);

    /// <summary>The operation that last wrote the byte at <paramref name="offset"/>, 0 for never/zeroed.</summary>
    public int WriterOf(long offset) => writer[offset];

    public void Write(int op, long offset, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(data.AsSpan((int)offset));
        writer.AsSpan((int)offset, bytes.Length).Fill(op);
        Size = Math.Max(Size, offset + bytes.Length);
    }

    public void Truncate(long size)
    {
        if (size < Size)
        {
            // Bytes past the new end read as zeros if the file grows again (POSIX ftruncate).
            Zero(size, Size - size);
        }

        Size = size;
    }

    /// <summary>KEEP_SIZE: the size does not change; only bytes inside the file become zeros.</summary>
    public void PunchHole(long offset, long length)
    {
        var end = Math.Min(Size, offset + length);
        if (end > offset)
        {
            Zero(offset, end - offset);
        }
    }

    private void Zero(long offset, long length)
    {
        data.AsSpan((int)offset, (int)length).Clear();
        writer.AsSpan((int)offset, (int)length).Clear();
    }
}
