using System.Buffers.Binary;

namespace Mirror.Rpc.Bulk;

/// <summary>What a bulk frame is (see README "Bulk data channel").</summary>
public enum BulkFrameKind : byte
{
    /// <summary>First frame on a connection, client → server: text = the cluster token (empty when none).</summary>
    Hello = 1,

    /// <summary>Client → server: code 0, extra = timeout in ms (0 = none), text = method path, message = request.</summary>
    Call = 2,

    /// <summary>Server → client: code = gRPC status, extra = errno, text = status message, message = response (OK only).</summary>
    Reply = 3,
}

/// <summary>
/// The fixed 24-byte header of every bulk frame, big-endian like the gRPC message prefix:
/// magic "MBK1" (4) | kind (1) | three zero bytes | code (4) | extra (4) | text length (4) | message length (4),
/// followed by the text (UTF-8) and the message (protobuf, exactly what gRPC would carry).
/// </summary>
public readonly record struct BulkHeader(BulkFrameKind Kind, uint Code, uint Extra, int TextLength, int MessageLength)
{
    public const int Length = 24;

    public const uint Magic = 0x4D424B31;

    /// <summary>Method paths, tokens and status messages are short; anything longer is a bad frame.</summary>
    public const int MaxTextBytes = 16 * 1024;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Magic);
        destination[4] = (byte)Kind;
        destination[5] = destination[6] = destination[7] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Code);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], Extra);
        BinaryPrimitives.WriteInt32BigEndian(destination[16..], TextLength);
        BinaryPrimitives.WriteInt32BigEndian(destination[20..], MessageLength);
    }

    /// <summary>Parses and checks a header; a bad one throws <see cref="BulkProtocolException"/> naming what is wrong.</summary>
    public static BulkHeader Read(ReadOnlySpan<byte> source, int maxMessageBytes)
    {
        var magic = BinaryPrimitives.ReadUInt32BigEndian(source);
        if (magic != Magic)
        {
            throw new BulkProtocolException(StatusCode.Internal, $"bad bulk frame magic 0x{magic:X8} (expected 0x{Magic:X8})");
        }

        var kind = (BulkFrameKind)source[4];
        if (kind is not (BulkFrameKind.Hello or BulkFrameKind.Call or BulkFrameKind.Reply) || source[5] != 0 || source[6] != 0 || source[7] != 0)
        {
            throw new BulkProtocolException(StatusCode.Internal, $"bad bulk frame kind {source[4]} / reserved bytes {source[5]} {source[6]} {source[7]}");
        }

        var text = BinaryPrimitives.ReadInt32BigEndian(source[16..]);
        var message = BinaryPrimitives.ReadInt32BigEndian(source[20..]);
        if (text < 0 || text > MaxTextBytes)
        {
            throw new BulkProtocolException(StatusCode.Internal, $"bulk frame text of {(uint)text} bytes exceeds the limit of {MaxTextBytes} bytes");
        }

        if (message < 0 || message > maxMessageBytes)
        {
            throw new BulkProtocolException(StatusCode.ResourceExhausted, $"bulk message of {(uint)message} bytes exceeds the limit of {maxMessageBytes} bytes");
        }

        return new BulkHeader(kind, BinaryPrimitives.ReadUInt32BigEndian(source[8..]), BinaryPrimitives.ReadUInt32BigEndian(source[12..]), text, message);
    }
}

/// <summary>A frame that breaks the bulk protocol; the connection it came on is closed after it.</summary>
public sealed class BulkProtocolException(StatusCode status, string message) : Exception(message)
{
    public StatusCode Status { get; } = status;
}
