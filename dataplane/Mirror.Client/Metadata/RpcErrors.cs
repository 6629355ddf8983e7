using Mirror.Core.Errors;
using Mirror.Rpc;

namespace Mirror.Client.Metadata;

/// <summary>How the client classifies RPC failures (STYLE rule 5: errors cross boundaries as errno).</summary>
public static class RpcErrors
{
    /// <summary>The peer could not be reached or did not answer in time: another target may do better.</summary>
    public static bool IsUnreachable(Exception e) => e switch
    {
        RpcException r => r.Status is StatusCode.Unavailable or StatusCode.DeadlineExceeded
            || r.Errno is Errno.EHOSTUNREACH or Errno.ECONNREFUSED or Errno.ETIMEDOUT,
        MirrorException m => m.Errno is Errno.EHOSTUNREACH or Errno.ECONNREFUSED or Errno.ETIMEDOUT,
        TimeoutException => true,
        HttpRequestException => true,
        _ => false,
    };

    /// <summary>
    /// A failure that reading another mirror may avoid (flr-overview: reads fail over): unreachable,
    /// timed out, or an I/O error on the target.
    /// </summary>
    public static bool IsMirrorFailure(Exception e) =>
        IsUnreachable(e) || ErrnoOf(e) is Errno.EIO or Errno.ENOSPC;

    public static Errno ErrnoOf(Exception e) => e switch
    {
        MirrorException m => m.Errno,
        RpcException r => r.Errno,
        TimeoutException => Errno.ETIMEDOUT,
        OperationCanceledException => Errno.ECANCELED,
        _ => Errno.EIO,
    };

    /// <summary>Turns any failure into a <see cref="MirrorException"/>, keeping the errno, prefixing what was being done.</summary>
    public static MirrorException ToMirror(Exception e, string doing) => e switch
    {
        MirrorException m => m,
        RpcException r => new MirrorException(r.Errno, $"{doing}: {r.Message}", r),
        _ => new MirrorException(ErrnoOf(e), $"{doing}: {e.Message}", e),
    };
}
