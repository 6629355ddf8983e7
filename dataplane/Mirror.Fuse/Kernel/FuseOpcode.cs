namespace Mirror.Fuse.Kernel;

/// <summary>enum fuse_opcode of linux/fuse.h (protocol 7.38).</summary>
internal enum FuseOpcode : uint
{
    Lookup = 1,
    Forget = 2,
    Getattr = 3,
    Setattr = 4,
    Readlink = 5,
    Symlink = 6,
    Mknod = 8,
    Mkdir = 9,
    Unlink = 10,
    Rmdir = 11,
    Rename = 12,
    Link = 13,
    Open = 14,
    Read = 15,
    Write = 16,
    Statfs = 17,
    Release = 18,
    Fsync = 20,
    Setxattr = 21,
    Getxattr = 22,
    Listxattr = 23,
    Removexattr = 24,
    Flush = 25,
    Init = 26,
    Opendir = 27,
    Readdir = 28,
    Releasedir = 29,
    Fsyncdir = 30,
    Getlk = 31,
    Setlk = 32,
    Setlkw = 33,
    Access = 34,
    Create = 35,
    Interrupt = 36,
    Bmap = 37,
    Destroy = 38,
    Ioctl = 39,
    Poll = 40,
    NotifyReply = 41,
    BatchForget = 42,
    Fallocate = 43,
    Readdirplus = 44,
    Rename2 = 45,
    Lseek = 46,
    CopyFileRange = 47,
    Syncfs = 50,
    Tmpfile = 51,
}

/// <summary>Flag bits of linux/fuse.h used by the session and the bridge.</summary>
internal static class FuseFlags
{
    // fuse_init_in/out.flags (and flags2 = bits 32..63)
    public const ulong AsyncRead = 1UL << 0;
    public const ulong AtomicOTrunc = 1UL << 3;
    public const ulong BigWrites = 1UL << 5;
    public const ulong DontMask = 1UL << 6;
    public const ulong AutoInvalData = 1UL << 12;
    public const ulong DoReaddirplus = 1UL << 13;
    public const ulong ReaddirplusAuto = 1UL << 14;
    public const ulong AsyncDio = 1UL << 15;
    public const ulong WritebackCache = 1UL << 16;
    public const ulong ParallelDirops = 1UL << 18;
    public const ulong AbortError = 1UL << 21;
    public const ulong MaxPages = 1UL << 22;
    public const ulong CacheSymlinks = 1UL << 23;
    public const ulong InitExt = 1UL << 30;

    // fuse_setattr_in.valid
    public const uint FattrMode = 1 << 0;
    public const uint FattrUid = 1 << 1;
    public const uint FattrGid = 1 << 2;
    public const uint FattrSize = 1 << 3;
    public const uint FattrAtime = 1 << 4;
    public const uint FattrMtime = 1 << 5;
    public const uint FattrFh = 1 << 6;
    public const uint FattrAtimeNow = 1 << 7;
    public const uint FattrMtimeNow = 1 << 8;
    public const uint FattrCtime = 1 << 10;

    // fuse_open_out.open_flags
    public const uint FopenKeepCache = 1 << 1;
    public const uint FopenCacheDir = 1 << 3;

    // fuse_getattr_in.getattr_flags
    public const uint GetattrFh = 1 << 0;
}
