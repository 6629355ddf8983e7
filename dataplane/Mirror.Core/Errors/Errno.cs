namespace Mirror.Core.Errors;

/// <summary>
/// Linux errno values: the status vocabulary of the data plane (STYLE rule 5). They cross RPC boundaries
/// in the <c>mirror-errno</c> trailer beside the gRPC status, and reach FUSE replies unchanged.
/// </summary>
public enum Errno
{
    OK = 0,
    EPERM = 1,
    ENOENT = 2,
    EIO = 5,
    E2BIG = 7,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EBUSY = 16,
    EEXIST = 17,
    EXDEV = 18,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    EFBIG = 27,
    ENOSPC = 28,
    EROFS = 30,
    EMLINK = 31,
    ERANGE = 34,
    ENAMETOOLONG = 36,
    ENOSYS = 38,
    ENOTEMPTY = 39,
    ENODATA = 61,
    ETIMEDOUT = 110,
    ECONNREFUSED = 111,
    EHOSTUNREACH = 113,
    EALREADY = 114,
    EINPROGRESS = 115,
    ESTALE = 116,
    EDQUOT = 122,
    ECANCELED = 125,
    ENOTSUP = 95,
    EOVERFLOW = 75,
    EPROTO = 71,
}

/// <summary>A data-plane failure with an errno and a message naming what was wrong with which input.</summary>
public class MirrorException : Exception
{
    public MirrorException(Errno errno, string message)
        : base(message) => Errno = errno;

    public MirrorException(Errno errno, string message, Exception inner)
        : base(message, inner) => Errno = errno;

    public Errno Errno { get; }
}
