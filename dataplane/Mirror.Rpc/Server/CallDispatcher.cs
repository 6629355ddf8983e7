using System.Diagnostics;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mirror.Core.Errors;
using Mirror.Rpc.Auth;
using Mirror.Rpc.Framing;
using Mirror.Rpc.Metrics;

namespace Mirror.Rpc.Server;

/// <summary>
/// The request pipeline of one gRPC call on Kestrel: protocol checks, the cluster token, method
/// lookup, grpc-timeout, reading the request message, running the handler and mapping how it ended
/// to a gRPC status (PROTOCOL-HTTP2; grpc/doc/statuscodes.md). Holds no locks; every call is
/// independent.
/// </summary>
internal sealed class CallDispatcher(
    IReadOnlyDictionary<string, RpcMethod> methods,
    RpcServerOptions options,
    CancellationToken serverStopping,
    ILogger logger)
{
    /// <summary>CancellationTokenSource cannot wait longer than uint.MaxValue-1 ms (about 49 days).</summary>
    private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly BearerToken? token = string.IsNullOrEmpty(options.Token) ? null : new BearerToken(options.Token);

    public async Task HandleAsync(HttpContext http)
    {
        var started = Stopwatch.GetTimestamp();
        var path = http.Request.Path.Value ?? "";
        methods.TryGetValue(path, out var method);
        var status = StatusCode.Unknown;
        try
        {
            status = await ServeAsync(http, path, method).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && (http.RequestAborted.IsCancellationRequested || http.Response.HasStarted))
        {
            // The caller reset the stream; nobody is left to tell.
            status = StatusCode.Cancelled;
        }
        finally
        {
            RpcMetrics.ServerCall(method is null ? "unknown" : path, status, Stopwatch.GetElapsedTime(started));
        }
    }

    private async Task<StatusCode> ServeAsync(HttpContext http, string path, RpcMethod? method)
    {
        var request = http.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            return Reject(http, path, StatusCodes.Status405MethodNotAllowed, StatusCode.Unimplemented, $"HTTP method {request.Method} is not allowed; gRPC calls are POST");
        }

        // PROTOCOL-HTTP2: "If Content-Type does not begin with application/grpc, gRPC servers SHOULD
        // respond with HTTP status of 415 (Unsupported Media Type)."
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            return Reject(http, path, StatusCodes.Status415UnsupportedMediaType, StatusCode.Internal,
                $"content-type '{request.ContentType}' is not application/grpc");
        }

        using var callerGone = new CancellationTokenSource();
        var writer = new ResponseWriter(http, options.MaxMessageBytes, callerGone.Cancel);

        // The token is checked before the method is looked up, so an unauthenticated caller learns nothing.
        if (token?.Check(request.Headers.Authorization) is { } denied)
        {
            return await RejectCall(writer, path, StatusCode.Unauthenticated, denied).ConfigureAwait(false);
        }

        if (method is null)
        {
            return await RejectCall(writer, path, StatusCode.Unimplemented, $"unknown method {path}").ConfigureAwait(false);
        }

        var encoding = request.Headers[GrpcProtocol.EncodingHeader].ToString();
        if (encoding.Length > 0 && !encoding.Equals(GrpcProtocol.IdentityEncoding, StringComparison.OrdinalIgnoreCase))
        {
            // PROTOCOL-HTTP2 "Message-Encoding": unsupported compression → UNIMPLEMENTED plus what we accept.
            http.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.IdentityEncoding;
            return await RejectCall(writer, path, StatusCode.Unimplemented, $"grpc-encoding '{encoding}' is not supported; use identity").ConfigureAwait(false);
        }

        TimeSpan? timeout = null;
        var timeoutHeader = request.Headers[GrpcProtocol.TimeoutHeader].ToString();
        if (timeoutHeader.Length > 0)
        {
            if (!GrpcTimeout.TryParse(timeoutHeader, out var parsed))
            {
                return await RejectCall(writer, path, StatusCode.Internal, $"malformed grpc-timeout '{timeoutHeader}'").ConfigureAwait(false);
            }

            timeout = parsed;
        }

        // The deadline counts from the request headers, before the body is read.
        var deadlineAt = timeout is { } t ? Deadline(t) : (DateTimeOffset?)null;
        using var deadline = timeout < LongestTimer ? new CancellationTokenSource(timeout.Value) : null;
        using var call = CancellationTokenSource.CreateLinkedTokenSource(
            [http.RequestAborted, callerGone.Token, serverStopping, deadline?.Token ?? CancellationToken.None]);

        var (status, message, errno) = await RunAsync(http, path, method, writer, deadlineAt, call.Token).ConfigureAwait(false);
        if (deadline?.IsCancellationRequested == true && status is StatusCode.Cancelled or StatusCode.Unknown)
        {
            (status, message, errno) = (StatusCode.DeadlineExceeded, $"deadline of {timeout} exceeded serving {path}", Errno.OK);
        }

        if (status != StatusCode.OK)
        {
            ServerLog.Rejected(logger, path, status, message ?? "");
        }

        await writer.FinishAsync(status, message, errno).ConfigureAwait(false);
        return status;
    }

    private async Task<(StatusCode Status, string? Message, Errno Errno)> RunAsync(
        HttpContext http, string path, RpcMethod method, ResponseWriter writer, DateTimeOffset? deadline, CancellationToken callToken)
    {
        var requestMessage = default(RequestMessage);
        try
        {
            requestMessage = await RequestReader.ReadSingleAsync(http.Request.BodyReader, options.MaxMessageBytes, callToken).ConfigureAwait(false);
            if (requestMessage.Error is not null)
            {
                return (requestMessage.Status, requestMessage.Error, Errno.OK);
            }

            var context = new ServerCallContext(path, Peer(http), deadline, Metadata(http.Request.Headers), callToken);
            await method.Invoke(requestMessage.Memory, context, writer.SendAsync).ConfigureAwait(false);
            return (StatusCode.OK, null, Errno.OK);
        }
        catch (Exception ex)
        {
            return CallOutcome.FromException(ex, path, callToken.IsCancellationRequested, serverStopping.IsCancellationRequested, http.RequestAborted.IsCancellationRequested, logger);
        }
        finally
        {
            requestMessage.Release();
        }
    }

    private StatusCode Reject(HttpContext http, string path, int httpStatus, StatusCode status, string message)
    {
        ServerLog.Rejected(logger, path, status, message);
        ResponseWriter.SetHttpError(http, httpStatus, status, message);
        return status;
    }

    private async Task<StatusCode> RejectCall(ResponseWriter writer, string path, StatusCode status, string message)
    {
        ServerLog.Rejected(logger, path, status, message);
        await writer.FinishAsync(status, message, Errno.OK).ConfigureAwait(false);
        return status;
    }

    private static DateTimeOffset Deadline(TimeSpan timeout)
    {
        var now = DateTimeOffset.UtcNow;
        return timeout < DateTimeOffset.MaxValue - now ? now + timeout : DateTimeOffset.MaxValue;
    }

    private static string Peer(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } ip ? $"{ip}:{http.Connection.RemotePort}" : "unix";

    /// <summary>Custom metadata only: no pseudo-headers, grpc-* headers, transport headers or the token.</summary>
    private static Dictionary<string, string> Metadata(IHeaderDictionary headers)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            var key = name.ToLowerInvariant();
            if (key.StartsWith(':') || key.StartsWith("grpc-", StringComparison.Ordinal) || key is "content-type" or "te" or "host"
                or "authorization" or "content-length" or "connection" or "accept-encoding")
            {
                continue;
            }

            metadata[key] = value.ToString();
        }

        return metadata;
    }
}
