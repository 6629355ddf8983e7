using Microsoft.Extensions.Logging;

namespace Mirror.Rpc.Server;

/// <summary>The server's log events, with fixed ids (STYLE rule 10).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "gRPC server listening on {Address} {UnixSocket}, metrics on {MetricsUri}")]
    public static partial void Listening(ILogger logger, string? address, string? unixSocket, Uri? metricsUri);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "{Method} failed with an unexpected exception; answering {Status}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string method, StatusCode status);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "{Method} rejected: {Status} {Reason}")]
    public static partial void Rejected(ILogger logger, string method, StatusCode status, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "gRPC server on {Address} {UnixSocket} stopped")]
    public static partial void Stopped(ILogger logger, string? address, string? unixSocket);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "bulk channel listening on {Address}")]
    public static partial void BulkListening(ILogger logger, string address);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "bulk connection from {Peer} closed: {Reason}")]
    public static partial void BulkClosed(ILogger logger, string peer, string reason);
}
