using Mirror.Core.Errors;

namespace Mirror.Rpc;

/// <summary>
/// A call that ended with a non-OK gRPC status. Data-plane errors carry their errno too (the
/// <c>mirror-errno</c> trailer), so a client can turn them back into <see cref="MirrorException"/>.
/// </summary>
public sealed class RpcException : Exception
{
    /// <summary>The trailer that carries the errno of a data-plane failure.</summary>
    public const string ErrnoTrailer = "mirror-errno";

    public RpcException(StatusCode status, string message, Errno errno = Errno.OK)
        : base(message)
    {
        Status = status;
        Errno = errno == Errno.OK ? ErrnoFor(status) : errno;
    }

    public StatusCode Status { get; }

    public Errno Errno { get; }

    public MirrorException ToMirrorException() => new(Errno, Message, this);

    /// <summary>The gRPC status a handler's <see cref="MirrorException"/> is reported with.</summary>
    public static StatusCode StatusFor(Errno errno) => errno switch
    {
        Errno.OK => StatusCode.OK,
        Errno.ENOENT => StatusCode.NotFound,
        Errno.EEXIST => StatusCode.AlreadyExists,
        Errno.EINVAL or Errno.ENAMETOOLONG or Errno.ERANGE or Errno.EFBIG => StatusCode.InvalidArgument,
        Errno.EACCES or Errno.EPERM or Errno.EROFS => StatusCode.PermissionDenied,
        Errno.ENOSPC or Errno.EDQUOT or Errno.EMLINK => StatusCode.ResourceExhausted,
        Errno.ENOTDIR or Errno.EISDIR or Errno.ENOTEMPTY or Errno.EXDEV or Errno.EBUSY => StatusCode.FailedPrecondition,
        Errno.ESTALE or Errno.EAGAIN or Errno.EALREADY or Errno.EINPROGRESS => StatusCode.Aborted,
        Errno.ENOSYS or Errno.ENOTSUP => StatusCode.Unimplemented,
        Errno.ETIMEDOUT => StatusCode.DeadlineExceeded,
        Errno.ECANCELED => StatusCode.Cancelled,
        Errno.ECONNREFUSED or Errno.EHOSTUNREACH => StatusCode.Unavailable,
        Errno.ENODATA => StatusCode.NotFound,
        _ => StatusCode.Internal,
    };

    /// <summary>The errno a status maps to when the peer sent none (a foreign gRPC peer, a transport failure).</summary>
    public static Errno ErrnoFor(StatusCode status) => status switch
    {
        StatusCode.OK => Errno.OK,
        StatusCode.NotFound => Errno.ENOENT,
        StatusCode.AlreadyExists => Errno.EEXIST,
        StatusCode.InvalidArgument or StatusCode.OutOfRange => Errno.EINVAL,
        StatusCode.PermissionDenied or StatusCode.Unauthenticated => Errno.EACCES,
        StatusCode.ResourceExhausted => Errno.ENOSPC,
        StatusCode.Aborted => Errno.ESTALE,
        StatusCode.Unimplemented => Errno.ENOSYS,
        StatusCode.DeadlineExceeded => Errno.ETIMEDOUT,
        StatusCode.Cancelled => Errno.ECANCELED,
        StatusCode.Unavailable => Errno.EHOSTUNREACH,
        _ => Errno.EIO,
    };
}
