using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Mirror.Fsx;

/// <summary>
/// A real file driven through real system calls: pread/pwrite via <see cref="RandomAccess"/>, and
/// ftruncate, fsync, fallocate by P/Invoke so the operation the kernel (and a FUSE server) sees is
/// exactly the one named in the op log.
/// </summary>
public sealed partial class PosixFile : IFsxFile
{
    // linux/falloc.h
    private const int FallocFlKeepSize = 0x01;
    private const int FallocFlPunchHole = 0x02;

    private readonly string path;
    private SafeFileHandle handle;

    private PosixFile(string path, SafeFileHandle handle)
    {
        this.path = path;
        this.handle = handle;
    }

    /// <summary>Creates (or empties) the file at <paramref name="path"/> and opens it read-write.</summary>
    public static PosixFile Create(string path) =>
        new(path, File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite));

    public long Size => RandomAccess.GetLength(handle);

    public void Write(long offset, ReadOnlySpan<byte> data) => RandomAccess.Write(handle, data, offset);

    public int Read(long offset, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    public void Truncate(long size) => Check(Ftruncate(Fd, size), $"ftruncate({size})");

    public void PunchHole(long offset, long length) =>
        Check(Fallocate(Fd, FallocFlPunchHole | FallocFlKeepSize, offset, length), $"fallocate(PUNCH_HOLE|KEEP_SIZE, {offset}, {length})");

    public void Fsync() => Check(FsyncCall(Fd), "fsync");

    public void Reopen()
    {
        handle.Dispose();
        handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
    }

    public void Dispose() => handle.Dispose();

    private int Fd => (int)handle.DangerousGetHandle();

    private void Check(int result, string call)
    {
        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{call} on {path} failed: {new Win32Exception(errno).Message} (errno {errno})", errno);
        }
    }

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int Fallocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncCall(int fd);
}
