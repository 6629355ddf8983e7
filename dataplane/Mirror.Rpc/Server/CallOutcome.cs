using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Mirror.Core.Errors;

namespace Mirror.Rpc.Server;

/// <summary>
/// How a handler ended, as a gRPC status (README table "How a call ends"): shared by the HTTP/2 dispatcher
/// and the bulk channel so both answer the same failure with the same status, message and errno.
/// </summary>
internal static class CallOutcome
{
    /// <param name="callCancelled">The call's own token fired (caller gone, deadline, server stopping).</param>
    /// <param name="serverStopping">The server is stopping.</param>
    /// <param name="callerAborted">The transport reported the caller gone.</param>
    public static (StatusCode Status, string? Message, Errno Errno) FromException(
        Exception exception, string path, bool callCancelled, bool serverStopping, bool callerAborted, ILogger logger)
    {
        switch (exception)
        {
            case RpcException ex:
                return (ex.Status, ex.Message, ex.Errno == RpcException.ErrnoFor(ex.Status) ? Errno.OK : ex.Errno);
            case MirrorException ex:
                return (RpcException.StatusFor(ex.Errno), ex.Message, ex.Errno);
            case OperationCanceledException when callCancelled:
                // A passed deadline is told apart by the caller of this method.
                return serverStopping && !callerAborted
                    ? (StatusCode.Unavailable, $"server is shutting down; {path} was cancelled", Errno.OK)
                    : (StatusCode.Cancelled, $"{path} was cancelled by the caller", Errno.OK);
            case InvalidProtocolBufferException ex:
                return (StatusCode.Internal, $"cannot parse the request message of {path}: {ex.Message}", Errno.OK);
            default:
                ServerLog.HandlerFailed(logger, exception, path, StatusCode.Unknown);
                return (StatusCode.Unknown, $"{path} failed: {exception.GetType().Name}: {exception.Message}", Errno.OK);
        }
    }
}
