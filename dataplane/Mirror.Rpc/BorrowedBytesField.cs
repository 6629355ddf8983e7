using System.Buffers;
using Google.Protobuf;
using Mirror.Rpc.Framing;

namespace Mirror.Rpc;

/// <summary>
/// A top-level <c>bytes</c> field of a request that the handler gets without a copy: the field is cut out of
/// the wire bytes before parsing and handed to <paramref name="Set"/> as a ByteString over the server's own
/// request buffer (UnsafeByteOperations.UnsafeWrap). That buffer is reused once the handler's task ends, so
/// the handler must be done with the bytes by then (OST Write: pwrite before it replies). Saves a copy and a
/// large-object allocation per multi-MiB message.
/// </summary>
/// <param name="FieldNumber">The field's number in the .proto (WriteRequest.data = 3).</param>
/// <param name="Set">Stores the borrowed bytes in the parsed message.</param>
public sealed record BorrowedBytesField<TRequest>(int FieldNumber, Action<TRequest, ByteString> Set)
    where TRequest : IMessage<TRequest>, new()
{
    /// <summary>Parses <paramref name="wire"/> with the field borrowed from it, not copied.</summary>
    internal TRequest Parse(MessageParser<TRequest> parser, ReadOnlyMemory<byte> wire)
    {
        var span = wire.Span;
        if (!TryFind(span, out var start, out var length, out var fieldStart, out var fieldEnd))
        {
            return parser.ParseFrom(span);
        }

        // The rest of the message (the small fields around the payload) is parsed the ordinary way.
        var restLength = span.Length - (fieldEnd - fieldStart);
        var rest = ArrayPool<byte>.Shared.Rent(Math.Max(restLength, 1));
        try
        {
            span[..fieldStart].CopyTo(rest);
            span[fieldEnd..].CopyTo(rest.AsSpan(fieldStart));
            var message = parser.ParseFrom(rest.AsSpan(0, restLength));
            Set(message, UnsafeByteOperations.UnsafeWrap(wire.Slice(start, length)));
            return message;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rest);
        }
    }

    /// <summary>
    /// Walks the top-level fields (<see cref="ProtobufFields"/>) and finds the field (proto3: the last one
    /// wins). False when absent, repeated, or when the bytes are not a walkable message: the ordinary parser
    /// then decides (and reports a malformed message).
    /// </summary>
    private bool TryFind(ReadOnlySpan<byte> span, out int start, out int length, out int fieldStart, out int fieldEnd)
    {
        (start, length, fieldStart, fieldEnd) = (0, 0, 0, 0);
        var found = 0;
        var at = 0;
        while (at < span.Length)
        {
            if (!ProtobufFields.TryReadField(span, ref at, out var field) || field.End > span.Length)
            {
                return false;
            }

            if (field.Number == FieldNumber && field.WireType == ProtobufField.LengthDelimited)
            {
                (start, length, fieldStart, fieldEnd) = (field.ValueAt, field.Length, field.KeyAt, field.End);
                found++;
            }
        }

        return found == 1;
    }
}
