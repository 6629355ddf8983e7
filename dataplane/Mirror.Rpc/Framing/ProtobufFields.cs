namespace Mirror.Rpc.Framing;

/// <summary>
/// One top-level field of a protobuf message as it lies in the wire bytes (protobuf encoding guide,
/// "Message Structure": a key varint <c>(number &lt;&lt; 3) | wire type</c>, then the value by wire type).
/// </summary>
/// <param name="Number">The field number from the key.</param>
/// <param name="WireType">0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.</param>
/// <param name="KeyAt">Offset of the key's first byte.</param>
/// <param name="ValueAt">Offset of the value (for length-delimited: after the length prefix).</param>
/// <param name="Length">Bytes of the value (for length-delimited: the declared length).</param>
internal readonly record struct ProtobufField(int Number, int WireType, int KeyAt, int ValueAt, int Length)
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int Fixed32 = 5;

    /// <summary>Offset just past the value; beyond the span when the bytes end inside the value.</summary>
    public int End => ValueAt + Length;
}

/// <summary>
/// Walks the top-level fields of a protobuf message without parsing it, to find where a large bytes field
/// lies (BorrowedBytesField cuts it out; the bulk listener's RequestBuffer aligns it). Pure functions.
/// </summary>
internal static class ProtobufFields
{
    /// <summary>A varint is at most 10 bytes (64 bits, 7 per byte).</summary>
    public const int MaxVarintBytes = 10;

    /// <summary>
    /// Reads a base-128 varint at <paramref name="at"/> and moves past it. False when the bytes end inside
    /// it or it runs over 10 bytes (<paramref name="at"/> is then unspecified).
    /// </summary>
    public static bool TryReadVarint(ReadOnlySpan<byte> span, ref int at, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 7 * MaxVarintBytes && at < span.Length; shift += 7)
        {
            var b = span[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Reads the field whose key starts at <paramref name="at"/> and moves <paramref name="at"/> to its
    /// <see cref="ProtobufField.End"/>. The key, a varint value and a length prefix must lie inside the span;
    /// a fixed or length-delimited value may run past its end (the caller sees that from End), so a scan of a
    /// message's first bytes still finds where a field starts. False for a truncated varint, a group or an
    /// invalid wire type (3, 4, 6, 7), or a length that does not fit an int offset: not a walkable message.
    /// </summary>
    public static bool TryReadField(ReadOnlySpan<byte> span, ref int at, out ProtobufField field)
    {
        field = default;
        var keyAt = at;
        if (!TryReadVarint(span, ref at, out var key))
        {
            return false;
        }

        var number = (int)Math.Min(key >> 3, int.MaxValue);
        var wireType = (int)(key & 7);
        var valueAt = at;
        ulong length;
        switch (wireType)
        {
            case ProtobufField.Varint:
                if (!TryReadVarint(span, ref at, out _))
                {
                    return false;
                }

                length = (ulong)(at - valueAt);
                break;
            case ProtobufField.Fixed64:
                length = 8;
                break;
            case ProtobufField.Fixed32:
                length = 4;
                break;
            case ProtobufField.LengthDelimited:
                if (!TryReadVarint(span, ref at, out length))
                {
                    return false;
                }

                valueAt = at;
                break;
            default:
                return false;
        }

        if (length > (ulong)(int.MaxValue - valueAt))
        {
            return false;
        }

        field = new ProtobufField(number, wireType, keyAt, valueAt, (int)length);
        at = field.End;
        return true;
    }
}
