using System.Buffers;
using System.IO.Pipelines;
using Mirror.Rpc.Framing;

namespace Mirror.Rpc.Server;

/// <summary>
/// Reads the single Length-Prefixed-Message of a unary or server-streaming request from Kestrel's
/// request pipe. Bytes are consumed as they are copied out, because Kestrel only re-opens the HTTP/2
/// stream window for consumed data (a message bigger than the window would otherwise stall).
/// </summary>
internal static class RequestReader
{
    /// <summary>The message in a pooled buffer (the caller returns it), or the status to answer with.</summary>
    public static async Task<RequestMessage> ReadSingleAsync(PipeReader reader, int maxMessageBytes, CancellationToken cancellationToken)
    {
        var prefix = new byte[MessageFrame.PrefixLength];
        byte[]? message = null;
        var length = -1;
        var copied = 0;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (length < 0)
                {
                    if (buffer.Length < MessageFrame.PrefixLength)
                    {
                        reader.AdvanceTo(buffer.Start, buffer.End);
                        if (result.IsCompleted)
                        {
                            return RequestMessage.Fail(StatusCode.Internal, buffer.Length == 0
                                ? "request carries no message (a unary or server-streaming call needs exactly one)"
                                : $"request body ended inside the 5-byte message prefix ({buffer.Length} bytes)");
                        }

                        continue;
                    }

                    buffer.Slice(0, MessageFrame.PrefixLength).CopyTo(prefix);
                    var header = MessageFrame.ReadPrefix(prefix);
                    if (!header.Valid)
                    {
                        reader.AdvanceTo(buffer.Start);
                        return RequestMessage.Fail(StatusCode.Internal, $"invalid compressed-flag byte {header.Flag} in the message prefix");
                    }

                    if (header.Compressed)
                    {
                        // PROTOCOL-HTTP2: a compressed message needs a grpc-encoding; we only accept identity.
                        reader.AdvanceTo(buffer.Start);
                        return RequestMessage.Fail(StatusCode.Internal, "message has the compressed flag set but the request's grpc-encoding is identity");
                    }

                    if (header.Length > maxMessageBytes)
                    {
                        reader.AdvanceTo(buffer.Start);
                        return RequestMessage.Fail(StatusCode.ResourceExhausted,
                            $"request message of {header.Length} bytes exceeds the limit of {maxMessageBytes} bytes");
                    }

                    length = (int)header.Length;
                    message = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                    buffer = buffer.Slice(MessageFrame.PrefixLength);
                }

                var take = (int)Math.Min(buffer.Length, length - copied);
                buffer.Slice(0, take).CopyTo(message.AsSpan(copied));
                copied += take;
                buffer = buffer.Slice(take);
                if (copied == length && buffer.Length > 0)
                {
                    reader.AdvanceTo(buffer.Start);
                    return RequestMessage.Fail(StatusCode.Internal, "request carries more than one message for a unary or server-streaming method");
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    if (copied < length)
                    {
                        return RequestMessage.Fail(StatusCode.Internal, $"request body ended after {copied} of the {length} message bytes its prefix announced");
                    }

                    var done = new RequestMessage(message, length, StatusCode.OK, null);
                    message = null;
                    return done;
                }
            }
        }
        finally
        {
            if (message is not null)
            {
                ArrayPool<byte>.Shared.Return(message);
            }
        }
    }
}

/// <summary>A request message in a pooled buffer, or why there is none.</summary>
internal readonly record struct RequestMessage(byte[]? Buffer, int Length, StatusCode Status, string? Error)
{
    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

    public static RequestMessage Fail(StatusCode status, string error) => new(null, 0, status, error);

    public void Release()
    {
        if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}
