using System.Buffers.Binary;

namespace Mirror.Rpc.Framing;

/// <summary>
/// The gRPC Length-Prefixed-Message (PROTOCOL-HTTP2 "Requests"): one Compressed-Flag byte (0 or 1),
/// a 4-byte big-endian unsigned Message-Length, then the message bytes.
/// </summary>
public static class MessageFrame
{
    public const int PrefixLength = 5;

    /// <summary>Writes the 5-byte prefix for an uncompressed message of <paramref name="length"/> bytes.</summary>
    public static void WritePrefix(Span<byte> destination, int length, bool compressed = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        destination[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..PrefixLength], (uint)length);
    }

    /// <summary>Reads a prefix; the length is unsigned on the wire, so it is returned as a long.</summary>
    public static MessagePrefix ReadPrefix(ReadOnlySpan<byte> source) =>
        new(source[0], BinaryPrimitives.ReadUInt32BigEndian(source[1..PrefixLength]));
}

/// <param name="Flag">The Compressed-Flag byte as sent (0 = identity, 1 = compressed, anything else is a protocol error).</param>
/// <param name="Length">Message-Length, 0 to 2^32-1.</param>
public readonly record struct MessagePrefix(byte Flag, long Length)
{
    public bool Compressed => Flag == 1;

    public bool Valid => Flag is 0 or 1;
}
