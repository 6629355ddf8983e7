using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Mirror.Rpc.Framing;

namespace Mirror.Rpc.Client;

/// <summary>
/// The request body of a call: one Length-Prefixed-Message, serialized straight into a pooled buffer
/// and written in one go (no intermediate byte[] per call). Serializes again if the handler retries
/// the request on another connection. No Content-Length, as gRPC clients send none.
/// </summary>
internal sealed class MessageContent : HttpContent
{
    private static readonly MediaTypeHeaderValue GrpcContentType = new(GrpcProtocol.ContentType);

    private readonly IMessage message;
    private readonly int size;

    public MessageContent(IMessage message, int size)
    {
        this.message = message;
        this.size = size;
        Headers.ContentType = GrpcContentType;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MessageFrame.PrefixLength + size);
        try
        {
            MessageFrame.WritePrefix(buffer, size);
            message.WriteTo(buffer.AsSpan(MessageFrame.PrefixLength, size));
            await stream.WriteAsync(buffer.AsMemory(0, MessageFrame.PrefixLength + size), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
