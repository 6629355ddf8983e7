using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Mirror.Bench.Fio;

/// <summary>
/// create/stat/unlink of N empty files (stat after drop_caches) in one directory of the target, one at a time, each a single
/// syscall straight to libc (open+close, stat, unlink) so every target runs exactly the same calls —
/// fio has no comparable metadata job.
/// </summary>
internal static partial class MetadataJob
{
    private const int OWronly = 0x1;
    private const int OCreat = 0x40;
    private const int OExcl = 0x80;

    public static MetadataFigures Run(string dir, int files, CancellationToken ct)
    {
        var root = Path.Combine(dir, "meta");
        Directory.CreateDirectory(root);
        var names = Enumerable.Range(0, files).Select(i => Path.Combine(root, $"f{i:D7}")).ToArray();
        var create = Time(names, ct, n =>
        {
            var fd = Open(n, OWronly | OCreat | OExcl, 0x1a4);
            Check(fd, "open(O_CREAT|O_EXCL)", n);
            Check(Close(fd), "close", n);
        });
        // Cold dentries and inodes: stat asks the file system (a FUSE server gets LOOKUP/GETATTR) instead of the kernel's caches.
        Machine.DropCaches();
        var stat = Time(names, ct, n =>
        {
            var buf = new byte[256]; // struct stat is 144 bytes on x86-64 and aarch64; room to spare
            Check(Stat(n, buf), "stat", n);
        });
        var unlink = Time(names, ct, n => Check(Unlink(n), "unlink", n));
        Directory.Delete(root);
        return new MetadataFigures(create, stat, unlink);
    }

    private static double Time(string[] names, CancellationToken ct, Action<string> op)
    {
        var sw = Stopwatch.StartNew();
        foreach (var n in names)
        {
            ct.ThrowIfCancellationRequested();
            op(n);
        }

        return names.Length / sw.Elapsed.TotalSeconds;
    }

    private static void Check(int rc, string call, string path)
    {
        if (rc < 0)
        {
            throw new IOException($"{call} {path}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, byte[] buf);

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Unlink(string path);
}

/// <summary>Operations per second of each metadata phase.</summary>
internal sealed record MetadataFigures(double Create, double Stat, double Unlink);
