using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Mirror.Core.Errors;
using Mirror.Rpc.Framing;

namespace Mirror.Rpc.Server;

/// <summary>
/// Writes one call's response (PROTOCOL-HTTP2 "Responses"): headers, Length-Prefixed-Messages, then
/// the status in trailers, or the whole status in the headers (Trailers-Only) when no message went out.
/// Not thread-safe: a handler sends its messages one after another, as in every gRPC implementation.
/// </summary>
internal sealed class ResponseWriter(HttpContext http, int maxMessageBytes, Action callerGone)
{
    /// <summary>Large messages go out in slices, each flushed, so the HTTP/2 window paces the writer.</summary>
    private const int SliceBytes = 256 * 1024;

    /// <summary>PROTOCOL-HTTP2 suggests peers cap Trailers at 8 KiB; the message gets half of that.</summary>
    private const int MaxStatusMessageBytes = 4096;

    public int MessagesSent { get; private set; }

    public async Task SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (message.Length > maxMessageBytes)
        {
            throw new RpcException(StatusCode.ResourceExhausted,
                $"response message of {message.Length} bytes exceeds the limit of {maxMessageBytes} bytes");
        }

        // The token is honoured between messages only: a message, once begun, is written whole (a cut
        // message would reach the caller as a framing error instead of the status that follows). A
        // pending flush still ends when the caller resets the stream or Kestrel aborts the connection.
        cancellationToken.ThrowIfCancellationRequested();
        var response = http.Response;
        if (!response.HasStarted)
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = GrpcProtocol.ContentType;
        }

        var writer = response.BodyWriter;
        MessageFrame.WritePrefix(writer.GetSpan(MessageFrame.PrefixLength), message.Length);
        writer.Advance(MessageFrame.PrefixLength);
        do
        {
            var slice = message[..Math.Min(SliceBytes, message.Length)];
            writer.Write(slice.Span);
            message = message[slice.Length..];
            var flushed = await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            if (flushed.IsCanceled || flushed.IsCompleted)
            {
                // Kestrel may close the output before it signals RequestAborted; cancel the call first so
                // the handler sees its token fired together with this exception.
                callerGone();
                throw new OperationCanceledException("the response stream was closed by the caller", cancellationToken);
            }
        }
        while (!message.IsEmpty);

        MessagesSent++;
    }

    /// <summary>Ends the call with its status.</summary>
    public Task FinishAsync(StatusCode status, string? message, Errno errno)
    {
        var response = http.Response;
        if (!response.HasStarted)
        {
            // Trailers-Only: HTTP-Status Content-Type Trailers in a single HEADERS frame with END_STREAM.
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = GrpcProtocol.ContentType;
            SetStatus(response.Headers, status, message, errno);
            return Task.CompletedTask;
        }

        var trailers = new HeaderDictionary();
        SetStatus(trailers, status, message, errno);
        foreach (var (name, value) in trailers)
        {
            response.AppendTrailer(name, value);
        }

        return Task.CompletedTask;
    }

    /// <summary>A response that is not gRPC at all (wrong method or content-type): plain HTTP status.</summary>
    public static void SetHttpError(HttpContext http, int httpStatus, StatusCode status, string message)
    {
        http.Response.StatusCode = httpStatus;
        SetStatus(http.Response.Headers, status, message, Errno.OK);
    }

    private static void SetStatus(IHeaderDictionary headers, StatusCode status, string? message, Errno errno)
    {
        headers[GrpcProtocol.StatusHeader] = ((int)status).ToString(CultureInfo.InvariantCulture);
        if (status != StatusCode.OK && !string.IsNullOrEmpty(message))
        {
            headers[GrpcProtocol.MessageHeader] = StatusMessageEncoding.Encode(message, MaxStatusMessageBytes);
        }

        if (errno != Errno.OK)
        {
            headers[RpcException.ErrnoTrailer] = ((int)errno).ToString(CultureInfo.InvariantCulture);
        }
    }
}
