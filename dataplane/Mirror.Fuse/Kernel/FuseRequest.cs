using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Mirror.Core.Errors;

namespace Mirror.Fuse.Kernel;

/// <summary>
/// One request read from /dev/fuse: its fuse_in_header and its body (the op's struct, then names or data).
/// Owns the pooled buffer it was read into until <see cref="Dispose"/>; the data of a WRITE points into it.
/// </summary>
internal sealed class FuseRequest : IDisposable
{
    private byte[]? buffer;
    private int position;

    public FuseRequest(byte[] buffer, int length)
    {
        this.buffer = buffer;
        Header = MemoryMarshal.Read<FuseInHeader>(buffer);
        Length = length;
        position = Marshal.SizeOf<FuseInHeader>();
    }

    public FuseInHeader Header { get; }

    public int Length { get; }

    public FuseOpcode Opcode => (FuseOpcode)Header.Opcode;

    public ulong Unique => Header.Unique;

    public ulong NodeId => Header.NodeId;

    private byte[] Buffer => buffer ?? throw new ObjectDisposedException(nameof(FuseRequest));

    /// <summary>The data size a READ asks for or a WRITE carries (0 for other opcodes), without consuming the body.</summary>
    public long DataSize()
    {
        var body = Marshal.SizeOf<FuseInHeader>();
        return Opcode switch
        {
            FuseOpcode.Read when Length >= body + Marshal.SizeOf<FuseReadIn>() => MemoryMarshal.Read<FuseReadIn>(Buffer.AsSpan(body)).Size,
            FuseOpcode.Write when Length >= body + Marshal.SizeOf<FuseWriteIn>() => MemoryMarshal.Read<FuseWriteIn>(Buffer.AsSpan(body)).Size,
            _ => 0,
        };
    }

    /// <summary>The next fixed-size struct of the body.</summary>
    public T Read<T>()
        where T : unmanaged
    {
        var size = Marshal.SizeOf<T>();
        if (position + size > Length)
        {
            throw new MirrorException(Errno.EINVAL, $"{Opcode} request of {Length} bytes is too short for {typeof(T).Name}");
        }

        var value = MemoryMarshal.Read<T>(Buffer.AsSpan(position, size));
        position += size;
        return value;
    }

    /// <summary>The next NUL-terminated name (UTF-8).</summary>
    public string ReadName()
    {
        var rest = Buffer.AsSpan(position, Length - position);
        var end = rest.IndexOf((byte)0);
        if (end < 0)
        {
            throw new MirrorException(Errno.EINVAL, $"{Opcode} request: name is not NUL-terminated");
        }

        position += end + 1;
        return Encoding.UTF8.GetString(rest[..end]);
    }

    /// <summary>The next <paramref name="count"/> bytes (WRITE data, xattr values).</summary>
    public ReadOnlyMemory<byte> ReadBytes(int count)
    {
        if (count < 0 || position + count > Length)
        {
            throw new MirrorException(Errno.EINVAL, $"{Opcode} request of {Length} bytes has no {count} data bytes at {position}");
        }

        var data = Buffer.AsMemory(position, count);
        position += count;
        return data;
    }

    /// <summary>
    /// Hands the pooled buffer over (a WRITE's data goes to the client without a copy): the returned owner gives
    /// it back to the pool when disposed, and disposing this request no longer does. Nothing may be read from
    /// the request afterwards; <see cref="Header"/> stays valid.
    /// </summary>
    public IDisposable TakeBuffer() => new BufferOwner(Interlocked.Exchange(ref buffer, null) ?? throw new ObjectDisposedException(nameof(FuseRequest)));

    public void Dispose()
    {
        var b = Interlocked.Exchange(ref buffer, null);
        if (b is not null)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    private sealed class BufferOwner(byte[] taken) : IDisposable
    {
        private byte[]? buffer = taken;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref buffer, null) is { } b)
            {
                ArrayPool<byte>.Shared.Return(b);
            }
        }
    }
}
