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

    public static void Mount(string source, string mountpoint, int fd, bool readOnly)
    {
        var data = string.Create(CultureInfo.InvariantCulture, $"fd={fd},rootmode=40000,user_id=0,group_id=0,default_permissions,allow_other");
        var flags = Native.MsNosuid | Native.MsNodev | (readOnly ? Native.MsRdonly : 0);
        if (Native.Mount(source, mountpoint, FsType, flags, data) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"mount {source} on {mountpoint} (type {FsType}): {Native.Describe(errno)}");
        }
    }

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
