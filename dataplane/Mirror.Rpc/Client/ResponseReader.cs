using System.Buffers;
using Google.Protobuf;
using Mirror.Rpc.Framing;

namespace Mirror.Rpc.Client;

/// <summary>Reads Length-Prefixed-Messages from a response body through one pooled buffer per message.</summary>
internal sealed class ResponseReader(Stream body, int maxMessageBytes, string target)
{
    private readonly byte[] prefix = new byte[MessageFrame.PrefixLength];

    /// <summary>The next message, or null at the end of the body.</summary>
    public async Task<T?> ReadAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        var read = await body.ReadAtLeastAsync(prefix, prefix.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return default;
        }

        if (read < prefix.Length)
        {
            throw new RpcException(StatusCode.Internal, $"response from {target} ended inside a message prefix ({read} of 5 bytes)");
        }

        var header = MessageFrame.ReadPrefix(prefix);
        if (header.Flag != 0)
        {
            // We never offer compression (no grpc-accept-encoding), so a compressed message is a peer bug.
            throw new RpcException(StatusCode.Internal, $"response from {target} carries compressed-flag {header.Flag}; only identity is supported");
        }

        if (header.Length > maxMessageBytes)
        {
            throw new RpcException(StatusCode.ResourceExhausted,
                $"response message of {header.Length} bytes from {target} exceeds the limit of {maxMessageBytes} bytes");
        }

        var length = (int)header.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            read = await body.ReadAtLeastAsync(buffer.AsMemory(0, length), length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read < length)
            {
                throw new RpcException(StatusCode.Internal, $"response from {target} ended after {read} of the {length} message bytes its prefix announced");
            }

            return parser.ParseFrom(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
