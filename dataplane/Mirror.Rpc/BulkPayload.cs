namespace Mirror.Rpc;

/// <summary>
/// A large top-level <c>bytes</c> field (OST Write's data) that <see cref="BulkChannel"/> sends from the
/// caller's memory after the rest of the message instead of serializing it (README "Bulk data channel",
/// gather write). default = no payload.
/// </summary>
/// <param name="FieldNumber">The field's number in the .proto (WriteRequest.data = 3).</param>
/// <param name="Data">The field's bytes; unchanged until the call's task ends.</param>
public readonly record struct BulkPayload(int FieldNumber, ReadOnlyMemory<byte> Data)
{
    private const int LengthDelimited = 2;

    internal bool IsEmpty => FieldNumber == 0;

    /// <summary>Bytes the field takes on the wire: key, length varint, data (0 without a payload).</summary>
    internal int WireLength => IsEmpty ? 0 : KeyLength + Data.Length;

    private int KeyLength => VarintLength(((uint)FieldNumber << 3) | LengthDelimited) + VarintLength((uint)Data.Length);

    /// <summary>Writes the field's key and length (protobuf encoding) at the start of <paramref name="destination"/>.</summary>
    internal int WriteKey(Span<byte> destination)
    {
        var at = WriteVarint(destination, ((uint)FieldNumber << 3) | LengthDelimited);
        at += WriteVarint(destination[at..], (uint)Data.Length);
        return at;
    }

    private static int VarintLength(uint value)
    {
        var n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }

        return n;
    }

    private static int WriteVarint(Span<byte> destination, uint value)
    {
        var at = 0;
        while (value >= 0x80)
        {
            destination[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[at++] = (byte)value;
        return at;
    }
}
