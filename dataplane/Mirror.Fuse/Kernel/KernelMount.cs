using System.Globalization;
using System.Runtime.InteropServices;

namespace Mirror.Fuse.Kernel;

/// <summary>
/// mount(2) and umount2(2) of a FUSE file system as root, the way fusermount3 does it: the /dev/fuse
/// descriptor travels in the data string ("fd=N,rootmode=40000,...").
/// </summary>
internal static class KernelMount
{
    public const string FsType = "fuse.mirror";

    /// <summary>
    /// mount(2), then the mount's readahead (see <see cref="SetReadahead"/>) before INIT is answered: the kernel
    /// keeps min(bdi readahead, INIT reply's max_readahead), so both must say <paramref name="readaheadBytes"/>.
    /// </summary>
    public static void Mount(string source, string mountpoint, int fd, bool readOnly, int readaheadBytes = FuseSessionOptions.DefaultMaxReadahead)
    {
        var data = string.Create(CultureInfo.InvariantCulture, $"fd={fd},rootmode=40000,user_id=0,group_id=0,default_permissions,allow_other");
        var flags = Native.MsNosuid | Native.MsNodev | (readOnly ? Native.MsRdonly : 0);
        if (Native.Mount(source, mountpoint, FsType, flags, data) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"mount {source} on {mountpoint} (type {FsType}): {Native.Describe(errno)}");
        }

        SetReadahead(mountpoint, readaheadBytes);
    }

    /// <summary>
    /// A FUSE mount's backing device starts with the VM default readahead (128 KiB; mm/readahead.c), and the
    /// kernel offers only that in INIT, so sequential reads arrive as 128 KiB READs one RPC round trip apart.
    /// Raising /sys/class/bdi/MAJ:MIN/read_ahead_kb (root) lets the kernel keep several max_pages READs in
    /// flight ahead of the reader (ASYNC_READ). Returns false when the mount or the sysfs file is not found
    /// (not root, no sysfs): reads then stay at the kernel's default, which is slower but correct.
    /// </summary>
    public static bool SetReadahead(string mountpoint, int bytes)
    {
        var device = DeviceOf(mountpoint);
        var path = device is null ? null : $"/sys/class/bdi/{device}/read_ahead_kb";
        if (path is null || !File.Exists(path))
        {
            return false;
        }

        try
        {
            File.WriteAllText(path, (bytes / 1024).ToString(CultureInfo.InvariantCulture));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The MAJ:MIN of the file system mounted at <paramref name="mountpoint"/> (the last such line of /proc/self/mountinfo).</summary>
    public static string? DeviceOf(string mountpoint)
    {
        var full = Path.GetFullPath(mountpoint).TrimEnd('/');
        string? device = null;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ..."; spaces etc. in paths are octal escapes (\040).
            var fields = line.Split(' ');
            if (fields.Length > 4 && Unescape(fields[4]) == (full.Length == 0 ? "/" : full))
            {
                device = fields[2];
            }
        }

        return device;
    }

    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());

    /// <summary>umount2(mountpoint, 0); when busy, a lazy unmount (MNT_DETACH) so the name is free at once.</summary>
    public static string Unmount(string mountpoint)
    {
        if (Native.Umount2(mountpoint, 0) == 0)
        {
            return "unmounted";
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == Native.EBUSY && Native.Umount2(mountpoint, Native.MntDetach) == 0)
        {
            return "busy: detached (MNT_DETACH)";
        }

        if (errno == Native.EINVAL)
        {
            return "not mounted";
        }

        throw new IOException($"umount {mountpoint}: {Native.Describe(errno)}");
    }
}
