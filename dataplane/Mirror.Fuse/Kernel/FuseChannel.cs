using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Mirror.Fuse.Kernel;

/// <summary>
/// The /dev/fuse file descriptor of one mount: reads whole requests and writes whole replies. Every read(2)
/// returns exactly one request and every write(2) must carry exactly one reply (header + payload), so any
/// number of threads may read and reply concurrently without a lock (fuse.h "the kernel interface").
/// </summary>
internal sealed unsafe partial class FuseChannel : IDisposable
{
    public static readonly int OutHeaderSize = Marshal.SizeOf<FuseOutHeader>();

    // Requests smaller than this are copied out of the reader's big buffer, which it then reuses.
    private const int SmallRequest = 8192;

    private readonly ILogger? logger;
    private int fd;

    private FuseChannel(int fd, int bufferSize, ILogger? logger)
    {
        this.fd = fd;
        BufferSize = bufferSize;
        this.logger = logger;
    }

    public int Fd => fd;

    /// <summary>The errno read(2) ended the session with: ENODEV (unmounted) or ECONNABORTED (aborted); 0 while it runs.</summary>
    public int EndErrno { get; private set; }

    /// <summary>The read buffer size: the negotiated max_write plus room for the headers (fuse.h FUSE_MIN_READ_BUFFER).</summary>
    public int BufferSize { get; }

    public static FuseChannel Open(int maxWrite, ILogger? logger)
    {
        var fd = Native.Open("/dev/fuse", Native.ORdwr | Native.OCloexec);
        if (fd < 0)
        {
            throw new IOException($"cannot open /dev/fuse: {Native.Describe(Marshal.GetLastPInvokeError())}");
        }

        return new FuseChannel(fd, Math.Max(maxWrite + 65536, 8192 * 2), logger);
    }

    /// <summary>
    /// Blocks for the next request; null once the connection is gone (ENODEV: unmounted; ECONNABORTED: aborted).
    /// <paramref name="scratch"/> is the calling reader's buffer; a large request keeps it (the caller gets a new one).
    /// </summary>
    public FuseRequest? Read(ref byte[] scratch)
    {
        while (true)
        {
            nint n;
            fixed (byte* p = scratch)
            {
                n = Native.Read(fd, p, scratch.Length);
            }

            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is Native.EINTR or Native.EAGAIN or Native.ENOENT)
                {
                    continue; // interrupted, or the request was answered/aborted before we read it
                }

                // ENODEV: unmounted; ECONNABORTED: aborted (fusectl), with FUSE_ABORT_ERROR negotiated.
                if (errno is Native.ENODEV or Native.ECONNABORTED)
                {
                    EndErrno = errno;
                    return null;
                }

                throw new IOException($"read /dev/fuse: {Native.Describe(errno)}");
            }

            var length = (int)n;
            if (length < Marshal.SizeOf<FuseInHeader>())
            {
                throw new IOException($"read /dev/fuse: short request of {length} bytes");
            }

            if (length <= SmallRequest)
            {
                var copy = ArrayPool<byte>.Shared.Rent(length);
                scratch.AsSpan(0, length).CopyTo(copy);
                return new FuseRequest(copy, length);
            }

            var owned = scratch;
            scratch = ArrayPool<byte>.Shared.Rent(BufferSize);
            return new FuseRequest(owned, length);
        }
    }

    /// <summary>A buffer for a reply of up to <paramref name="payload"/> bytes; the payload starts at <see cref="OutHeaderSize"/>.</summary>
    public static byte[] RentReply(int payload) => ArrayPool<byte>.Shared.Rent(OutHeaderSize + payload);

    /// <summary>Sends the reply held in <paramref name="buffer"/> (from <see cref="RentReply"/>) and returns the buffer to the pool.</summary>
    public void Send(ulong unique, byte[] buffer, int payload)
    {
        try
        {
            var header = new FuseOutHeader { Len = (uint)(OutHeaderSize + payload), Error = 0, Unique = unique };
            MemoryMarshal.Write(buffer, in header);
            WriteAll(buffer.AsSpan(0, OutHeaderSize + payload), unique);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void ReplyError(ulong unique, int errno)
    {
        Span<byte> header = stackalloc byte[OutHeaderSize];
        var h = new FuseOutHeader { Len = (uint)OutHeaderSize, Error = -errno, Unique = unique };
        MemoryMarshal.Write(header, in h);
        WriteAll(header, unique);
    }

    public void ReplyEmpty(ulong unique) => ReplyError(unique, 0);

    public void Reply<T>(ulong unique, in T payload)
        where T : unmanaged
    {
        var size = Marshal.SizeOf<T>();
        var buffer = RentReply(size);
        MemoryMarshal.Write(buffer.AsSpan(OutHeaderSize), in payload);
        Send(unique, buffer, size);
    }

    public void Reply<T1, T2>(ulong unique, in T1 first, in T2 second)
        where T1 : unmanaged
        where T2 : unmanaged
    {
        var size1 = Marshal.SizeOf<T1>();
        var size2 = Marshal.SizeOf<T2>();
        var buffer = RentReply(size1 + size2);
        MemoryMarshal.Write(buffer.AsSpan(OutHeaderSize), in first);
        MemoryMarshal.Write(buffer.AsSpan(OutHeaderSize + size1), in second);
        Send(unique, buffer, size1 + size2);
    }

    public void ReplyBytes(ulong unique, ReadOnlySpan<byte> payload)
    {
        var buffer = RentReply(payload.Length);
        payload.CopyTo(buffer.AsSpan(OutHeaderSize));
        Send(unique, buffer, payload.Length);
    }

    public void Dispose()
    {
        var old = Interlocked.Exchange(ref fd, -1);
        if (old >= 0)
        {
            _ = Native.Close(old);
        }
    }

    private void WriteAll(ReadOnlySpan<byte> reply, ulong unique)
    {
        nint n;
        fixed (byte* p = reply)
        {
            n = Native.Write(fd, p, reply.Length);
        }

        if (n < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // ENOENT: the request was interrupted and is gone; ENODEV: the connection is gone. Neither is ours to fix.
            if (errno is not (Native.ENOENT or Native.ENODEV or Native.ECONNABORTED) && logger is not null)
            {
                LogReplyFailed(logger, unique, Native.Describe(errno));
            }
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "reply to request {Unique} failed: {Error}")]
    private static partial void LogReplyFailed(ILogger logger, ulong unique, string error);
}
