using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Google.Protobuf;
using Mirror.Core.Errors;
using Mirror.Rpc.Framing;
using Mirror.Rpc.Metrics;

namespace Mirror.Rpc.Client;

/// <summary>
/// One call on a channel: builds the HTTP/2 request, reads the status from the response headers
/// (Trailers-Only) or trailers, and turns every way a call can end into an <see cref="RpcException"/>:
/// a deadline → DEADLINE_EXCEEDED, the caller's cancellation → CANCELLED, a transport failure →
/// UNAVAILABLE naming the target. Disposing it before the end resets the stream (RST_STREAM CANCEL),
/// which is how the server's handler learns the caller is gone.
/// </summary>
internal sealed class ClientCall : IDisposable
{
    private readonly RpcChannel channel;
    private readonly string method;
    private readonly CallOptions options;
    private readonly CancellationTokenSource? deadline;
    private readonly CancellationTokenSource linked;
    private readonly long started = Stopwatch.GetTimestamp();
    private HttpResponseMessage? response;
    private StatusCode status = StatusCode.Cancelled;

    public ClientCall(RpcChannel channel, string method, CallOptions options, CancellationToken enumeratorToken = default)
    {
        this.channel = channel;
        this.method = method;
        this.options = options;
        deadline = options.Timeout is { } timeout ? new CancellationTokenSource(Clamp(timeout)) : null;
        linked = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, enumeratorToken, deadline?.Token ?? CancellationToken.None);
    }

    public CancellationToken Token => linked.Token;

    /// <summary>Sends the request; the response body, or null for a Trailers-Only OK (no messages).</summary>
    public async Task<Stream?> StartAsync(IMessage request, int maxMessageBytes)
    {
        var size = request.CalculateSize();
        if (size > maxMessageBytes)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"request message of {size} bytes for {method} exceeds the limit of {maxMessageBytes} bytes");
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, channel.UriFor(method))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new MessageContent(request, size),
        };
        var headers = message.Headers;
        headers.TryAddWithoutValidation("te", "trailers");
        if (channel.Authorization is { } authorization)
        {
            headers.TryAddWithoutValidation("authorization", authorization);
        }

        if (options.Timeout is { } timeout)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(timeout));
        }

        if (options.Headers is { } extra)
        {
            foreach (var (name, value) in extra)
            {
                headers.TryAddWithoutValidation(name, value);
            }
        }

        response = await channel.Invoker.SendAsync(message, Token).ConfigureAwait(false);

        // PROTOCOL-HTTP2: a non-200 response is mapped from its HTTP status, whatever else it says.
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var grpcMessage = Header(response.Headers, GrpcProtocol.MessageHeader);
            throw new RpcException(GrpcProtocol.StatusForHttp(response.StatusCode),
                $"{channel.Target} answered {method} with HTTP {(int)response.StatusCode} {response.ReasonPhrase}" +
                (grpcMessage is null ? "" : $": {StatusMessageEncoding.Decode(grpcMessage)}"));
        }

        if (Header(response.Headers, GrpcProtocol.StatusHeader) is not null)
        {
            ThrowIfNotOk(response.Headers);
            return null;
        }

        var contentType = response.Content.Headers.ContentType?.ToString();
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            throw new RpcException(StatusCode.Unknown, $"{channel.Target} answered {method} with content-type '{contentType}', not application/grpc");
        }

        return await response.Content.ReadAsStreamAsync(Token).ConfigureAwait(false);
    }

    /// <summary>After the body ended: the status from the trailers.</summary>
    public void Finish()
    {
        if (response is not null && Header(response.Headers, GrpcProtocol.StatusHeader) is null)
        {
            ThrowIfNotOk(response.TrailingHeaders);
        }

        status = StatusCode.OK;
    }

    /// <summary>The exception to throw for whatever ended the call, recording its status.</summary>
    public RpcException Fail(Exception exception)
    {
        var failure = Map(exception);
        status = failure.Status;
        return failure;
    }

    public void Dispose()
    {
        response?.Dispose();
        linked.Dispose();
        deadline?.Dispose();
        RpcMetrics.ClientCall(method, status, Stopwatch.GetElapsedTime(started));
    }

    private RpcException Map(Exception exception)
    {
        if (exception is RpcException rpc)
        {
            // PROTOCOL-HTTP2 "Client Cancellation": a CANCELLED call whose deadline has passed is reported
            // as DEADLINE_EXCEEDED, generated locally.
            return rpc.Status == StatusCode.Cancelled && deadline?.IsCancellationRequested == true
                ? new RpcException(StatusCode.DeadlineExceeded, $"deadline of {options.Timeout} exceeded calling {method} on {channel.Target}")
                : rpc;
        }

        // Our own deadline or cancellation wins over however the transport reported the abort.
        if (deadline?.IsCancellationRequested == true)
        {
            return new RpcException(StatusCode.DeadlineExceeded, $"deadline of {options.Timeout} exceeded calling {method} on {channel.Target}");
        }

        if (linked.IsCancellationRequested)
        {
            return new RpcException(StatusCode.Cancelled, $"call {method} on {channel.Target} was cancelled by the caller");
        }

        return exception switch
        {
            // InvalidProtocolBufferException is an IOException: it must come before the transport arm.
            InvalidProtocolBufferException => new RpcException(StatusCode.Internal, $"cannot parse the response of {method} from {channel.Target}: {exception.Message}"),
            HttpProtocolException protocol => new RpcException(GrpcProtocol.StatusForHttp2Error(protocol.ErrorCode),
                $"{channel.Target} reset {method} (HTTP/2 error 0x{protocol.ErrorCode:X}): {protocol.Message}"),
            HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } refused =>
                new RpcException(StatusCode.Unavailable, $"cannot reach {channel.Target} for {method}: {refused.Message}", Errno.ECONNREFUSED),
            HttpRequestException or IOException =>
                new RpcException(StatusCode.Unavailable, $"cannot reach {channel.Target} for {method}: {exception.Message}"),
            // SocketsHttpHandler reports its connect timeout as a cancellation nobody asked for.
            OperationCanceledException => new RpcException(StatusCode.Unavailable,
                $"cannot reach {channel.Target} for {method}: no connection within {ChannelTransport.ConnectTimeout.TotalSeconds:0}s"),
            _ => new RpcException(StatusCode.Unknown, $"call {method} on {channel.Target} failed: {exception.GetType().Name}: {exception.Message}"),
        };
    }

    private void ThrowIfNotOk(HttpHeaders headers)
    {
        var text = Header(headers, GrpcProtocol.StatusHeader);
        if (text is null)
        {
            throw new RpcException(StatusCode.Internal, $"{channel.Target} ended {method} without a grpc-status");
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            throw new RpcException(StatusCode.Internal, $"{channel.Target} sent a malformed grpc-status '{text}' for {method}");
        }

        if (code == (int)StatusCode.OK)
        {
            return;
        }

        var message = Header(headers, GrpcProtocol.MessageHeader) is { } encoded ? StatusMessageEncoding.Decode(encoded) : $"{method} failed with status {code}";
        var errno = Header(headers, RpcException.ErrnoTrailer) is { } e && int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? (Errno)n : Errno.OK;
        // Codes beyond 16 are not defined; grpc-go reports them as UNKNOWN.
        var statusCode = code is > 0 and <= (int)StatusCode.Unauthenticated ? (StatusCode)code : StatusCode.Unknown;
        throw new RpcException(statusCode, message, errno);
    }

    private static string? Header(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static TimeSpan Clamp(TimeSpan timeout) =>
        timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout > TimeSpan.FromDays(49) ? TimeSpan.FromDays(49) : timeout;
}
