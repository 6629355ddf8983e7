using System.Runtime.InteropServices;

namespace Mirror.Fuse.Kernel;

/// <summary>enum fuse_notify_code of linux/fuse.h: messages the file system sends without a request.</summary>
internal enum FuseNotifyCode
{
    InvalInode = 2,
}

#pragma warning disable SA1307 // names follow the kernel header

/// <summary>struct fuse_notify_inval_inode_out (fuse.h 7.12): off &lt; 0 drops attributes only, len 0 = to the end.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FuseNotifyInvalInodeOut
{
    public ulong Ino;
    public long Off;
    public long Len;
}

#pragma warning restore SA1307

/// <summary>
/// Notifications (fuse.h "notifications"): written like a reply, with unique 0 and the notify code in the
/// header's error field. The kernel answers the write(2) itself: 0, or ENOENT when it holds no inode for the id.
/// </summary>
internal sealed unsafe partial class FuseChannel
{
    /// <summary>
    /// FUSE_NOTIFY_INVAL_INODE: the kernel forgets the cached attributes of <paramref name="nodeId"/> (the next
    /// stat or size check asks again) and, for <paramref name="offset"/> ≥ 0, the cached pages from there on.
    /// Returns 0 or the errno of the write (ENOENT: the kernel had forgotten the inode, nothing to drop).
    /// </summary>
    public int NotifyInvalInode(ulong nodeId, long offset, long length)
    {
        var size = OutHeaderSize + Marshal.SizeOf<FuseNotifyInvalInodeOut>();
        Span<byte> message = stackalloc byte[size];
        var header = new FuseOutHeader { Len = (uint)size, Error = (int)FuseNotifyCode.InvalInode, Unique = 0 };
        var body = new FuseNotifyInvalInodeOut { Ino = nodeId, Off = offset, Len = length };
        MemoryMarshal.Write(message, in header);
        MemoryMarshal.Write(message[OutHeaderSize..], in body);
        nint n;
        fixed (byte* p = message)
        {
            n = Native.Write(fd, p, size);
        }

        return n < 0 ? Marshal.GetLastPInvokeError() : 0;
    }
}
