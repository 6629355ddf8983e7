using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Mirror.Core.Errors;

namespace Mirror.Ost.Objects;

/// <summary>
/// The few Linux calls .NET does not expose: fallocate modes, fsync/fdatasync, xattrs, statx (for
/// st_blocks and nanosecond mtime), futimens, statvfs, flock and directory fsync. Every wrapper throws
/// <see cref="MirrorException"/> with the errno the kernel gave and a message naming the object.
/// </summary>
internal static partial class LinuxSyscalls
{
    public const int FallocKeepSize = 0x01;
    public const int FallocPunchHole = 0x02;
    public const int FallocZeroRange = 0x10;

    private const int ENODATA = 61;
    private const int EINTR = 4;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000;
    private const int OCloexec = 0x80000;
    private const long UtimeOmit = (1L << 30) - 2;
    private const int LockEx = 2;
    private const int LockNb = 4;

    /// <summary>fallocate(2); returns the errno (0 on success) so callers can fall back on EOPNOTSUPP.</summary>
    public static int Fallocate(SafeFileHandle file, int mode, long offset, long length)
    {
        while (true)
        {
            if (fallocate(file, mode, offset, length) == 0)
            {
                return 0;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                return errno;
            }
        }
    }

    /// <summary>fsync(2) when metadata (size, xattr, mtime) must reach disk, fdatasync(2) otherwise.</summary>
    public static void Flush(SafeFileHandle file, bool metadata, string what)
    {
        var rc = metadata ? fsync(file) : fdatasync(file);
        if (rc != 0)
        {
            throw Fail(Marshal.GetLastPInvokeError(), metadata ? "fsync" : "fdatasync", what);
        }
    }

    /// <summary>Makes a directory's entries (created or removed names) durable.</summary>
    public static void FsyncDirectory(string path)
    {
        var fd = open(path, ORdOnly | ODirectory | OCloexec);
        if (fd < 0)
        {
            throw Fail(Marshal.GetLastPInvokeError(), "open directory", path);
        }

        try
        {
            if (fsync_fd(fd) != 0)
            {
                throw Fail(Marshal.GetLastPInvokeError(), "fsync directory", path);
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>Reads a 4-byte little-endian xattr; null when the object has none.</summary>
    public static unsafe uint? GetUInt32Xattr(SafeFileHandle file, string name, string what)
    {
        Span<byte> value = stackalloc byte[4];
        fixed (byte* p = value)
        {
            var n = fgetxattr(file, name, p, 4);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno == ENODATA ? null : throw Fail(errno, "fgetxattr " + name, what);
            }

            return n == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(value) : throw new MirrorException(Errno.EIO, $"object {what}: xattr {name} has {n} bytes, expected 4");
        }
    }

    public static unsafe void SetUInt32Xattr(SafeFileHandle file, string name, uint value, string what)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        fixed (byte* p = bytes)
        {
            if (fsetxattr(file, name, p, 4, 0) != 0)
            {
                throw Fail(Marshal.GetLastPInvokeError(), "fsetxattr " + name, what);
            }
        }
    }

    /// <summary>statx(2) on an open file: size, 512-byte blocks, mtime in ns since the epoch.</summary>
    public static unsafe (long Size, long Blocks, long MtimeNs) Stat(SafeFileHandle file, string what)
    {
        // struct statx is the same on every architecture (linux/stat.h): 256 bytes.
        Span<byte> buf = stackalloc byte[256];
        var success = false;
        file.DangerousAddRef(ref success);
        try
        {
            fixed (byte* p = buf)
            {
                if (statx((int)file.DangerousGetHandle(), "", AtEmptyPath, StatxBasicStats, p) != 0)
                {
                    throw Fail(Marshal.GetLastPInvokeError(), "statx", what);
                }
            }
        }
        finally
        {
            file.DangerousRelease();
        }

        var size = BinaryPrimitives.ReadInt64LittleEndian(buf[40..]);
        var blocks = BinaryPrimitives.ReadInt64LittleEndian(buf[48..]);
        var mtimeSec = BinaryPrimitives.ReadInt64LittleEndian(buf[112..]);
        var mtimeNsec = BinaryPrimitives.ReadUInt32LittleEndian(buf[120..]);
        return (size, blocks, (mtimeSec * 1_000_000_000L) + mtimeNsec);
    }

    /// <summary>futimens(2) setting mtime only (atime left alone with UTIME_OMIT).</summary>
    public static unsafe void SetMtime(SafeFileHandle file, long mtimeNs, string what)
    {
        var times = stackalloc long[4];
        times[0] = 0;
        times[1] = UtimeOmit;
        times[2] = Math.DivRem(mtimeNs, 1_000_000_000L, out var nsec);
        if (nsec < 0)
        {
            times[2] -= 1;
            nsec += 1_000_000_000L;
        }

        times[3] = nsec;
        if (futimens(file, times) != 0)
        {
            throw Fail(Marshal.GetLastPInvokeError(), "futimens", what);
        }
    }

    /// <summary>statvfs(3): total and available bytes of the file system holding <paramref name="path"/>.</summary>
    public static unsafe (ulong Total, ulong Free) Statvfs(string path)
    {
        // struct statvfs on 64-bit glibc: unsigned long f_bsize, f_frsize; f_blocks, f_bfree, f_bavail, ...
        Span<byte> buf = stackalloc byte[128];
        fixed (byte* p = buf)
        {
            if (statvfs(path, p) != 0)
            {
                throw Fail(Marshal.GetLastPInvokeError(), "statvfs", path);
            }
        }

        var frsize = BinaryPrimitives.ReadUInt64LittleEndian(buf[8..]);
        var blocks = BinaryPrimitives.ReadUInt64LittleEndian(buf[16..]);
        var avail = BinaryPrimitives.ReadUInt64LittleEndian(buf[32..]);
        return (blocks * frsize, avail * frsize);
    }

    /// <summary>flock(LOCK_EX|LOCK_NB); returns false when another open file description holds it.</summary>
    public static bool TryLockExclusive(SafeFileHandle file) => flock(file, LockEx | LockNb) == 0;

    public static MirrorException Fail(int errno, string call, string what)
    {
        var code = Enum.IsDefined(typeof(Errno), errno) ? (Errno)errno : Errno.EIO;
        return new MirrorException(code, $"{call} on {what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fallocate(SafeFileHandle fd, int mode, long offset, long len);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync_fd(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(SafeFileHandle fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint fgetxattr(SafeFileHandle fd, string name, byte* value, nuint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int fsetxattr(SafeFileHandle fd, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int futimens(SafeFileHandle fd, long* times);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statvfs(string path, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(SafeFileHandle fd, int operation);
}
