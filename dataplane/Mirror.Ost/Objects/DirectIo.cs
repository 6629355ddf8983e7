using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Mirror.Ost.Objects;

/// <summary>
/// Bulk writes that bypass the page cache (O_DIRECT), as Lustre's osd submits bulk I/O straight to the
/// block device. A buffered write pays for a fresh page-cache page per 4 KiB (on this kind of virtual
/// machine most of the OST's CPU per MiB went to first-touching those pages) and for copying into it; a
/// direct write hands the device an already-mapped aligned buffer. Durability is unchanged: the data is
/// on the device when pwrite returns, but the allocation and size still become durable only with the
/// commit batch's fdatasync/fsync, like any other write (ARCHITECTURE §4 invariant 4).
/// Only large writes whose offset and length are multiples of <see cref="Alignment"/> go this way; small
/// or unaligned ones stay buffered (the kernel keeps both views of the file coherent).
/// </summary>
internal static unsafe partial class DirectIo
{
    /// <summary>Offset, length and buffer alignment; 4 KiB satisfies every block device with sectors up to 4 KiB.</summary>
    public const int Alignment = 4096;

    /// <summary>Smaller writes stay in the page cache: a 4 KiB write should not wait for the device.</summary>
    public const int MinBytes = 64 * 1024;

    /// <summary>Size of one aligned staging buffer; a larger write is issued in chunks of this size.</summary>
    public const int ChunkBytes = 1024 * 1024;

    private const int MaxPooledBuffers = 16;
    private const int ORdWr = 2;
    private const int OCloexec = 0x80000;
    private const int ODirect = 0x4000;
    private const int EINTR = 4;
    private const int EINVAL = 22;

    private static readonly ConcurrentStack<nint> Buffers = new();

    /// <summary>True when a write of <paramref name="length"/> bytes at <paramref name="offset"/> may go direct.</summary>
    public static bool Eligible(ulong offset, int length) =>
        length >= MinBytes && offset % Alignment == 0 && length % Alignment == 0;

    /// <summary>
    /// A second descriptor of <paramref name="path"/> opened with O_DIRECT, or null when the file system
    /// refuses O_DIRECT (tmpfs, some FUSE file systems say EINVAL).
    /// </summary>
    public static SafeFileHandle? TryOpen(string path, string what)
    {
        var fd = open(path, ORdWr | OCloexec | ODirect);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == EINVAL ? null : throw LinuxSyscalls.Fail(errno, "open(O_DIRECT)", what);
    }

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="offset"/> through <paramref name="direct"/>: as it lies
    /// when it starts on an aligned address (the bulk channel places payloads so), else staged through pooled
    /// aligned buffers. <see cref="DirectWrite.Refused"/> when the device refuses the alignment (EINVAL)
    /// before anything was written through it: the caller then writes buffered.
    /// </summary>
    public static DirectWrite TryWrite(SafeFileHandle direct, ReadOnlySpan<byte> data, long offset, string what)
    {
        var added = false;
        direct.DangerousAddRef(ref added);
        try
        {
            var fd = (int)direct.DangerousGetHandle();
            fixed (byte* source = data)
            {
                if ((nuint)source % Alignment == 0)
                {
                    return TryWriteAll(fd, source, data.Length, offset, what) ? DirectWrite.AsItLies : DirectWrite.Refused;
                }
            }

            var buffer = Rent();
            try
            {
                for (var done = 0; done < data.Length;)
                {
                    var chunk = Math.Min(ChunkBytes, data.Length - done);
                    data.Slice(done, chunk).CopyTo(new Span<byte>((void*)buffer, chunk));
                    if (!TryWriteAll(fd, (byte*)buffer, chunk, offset + done, what))
                    {
                        if (done == 0)
                        {
                            return DirectWrite.Refused;
                        }

                        throw LinuxSyscalls.Fail(EINVAL, $"pwrite(O_DIRECT) of {chunk} bytes at {offset + done}", what);
                    }

                    done += chunk;
                }

                return DirectWrite.Staged;
            }
            finally
            {
                Return(buffer);
            }
        }
        finally
        {
            direct.DangerousRelease();
        }
    }

    /// <summary>pwrite until all is written; false on EINVAL before the first byte (alignment refused).</summary>
    private static bool TryWriteAll(int fd, byte* source, int length, long offset, string what)
    {
        for (var written = 0; written < length;)
        {
            var n = pwrite(fd, source + written, (nuint)(length - written), offset + written);
            if (n >= 0)
            {
                written += (int)n;
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                continue;
            }

            if (errno == EINVAL && written == 0)
            {
                return false;
            }

            throw LinuxSyscalls.Fail(errno, $"pwrite(O_DIRECT) of {length - written} bytes at {offset + written}", what);
        }

        return true;
    }

    private static nint Rent() =>
        Buffers.TryPop(out var buffer) ? buffer : (nint)NativeMemory.AlignedAlloc(ChunkBytes, Alignment);

    private static void Return(nint buffer)
    {
        if (Buffers.Count < MaxPooledBuffers)
        {
            Buffers.Push(buffer);
        }
        else
        {
            NativeMemory.AlignedFree((void*)buffer);
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint pwrite(int fd, byte* buffer, nuint count, long offset);
}

/// <summary>How <see cref="DirectIo.TryWrite"/> went.</summary>
internal enum DirectWrite
{
    /// <summary>O_DIRECT was refused (EINVAL) before anything was written: write buffered instead.</summary>
    Refused,

    /// <summary>Written from the caller's buffer, which was aligned.</summary>
    AsItLies,

    /// <summary>Written through aligned staging buffers (one extra copy).</summary>
    Staged,
}
