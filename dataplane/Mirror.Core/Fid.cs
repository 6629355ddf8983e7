using System.Buffers.Binary;
using System.Globalization;

namespace Mirror.Core;

/// <summary>
/// A 128-bit file identifier, stable across renames (Lustre's FID: sequence, object id, version).
/// Printed as Lustre prints it: <c>[0x200000401:0x1:0x0]</c>.
/// </summary>
public readonly record struct Fid(ulong Sequence, uint ObjectId, uint Version) : IComparable<Fid>
{
    /// <summary>The FID of the namespace root directory.</summary>
    public static readonly Fid Root = new(0x200000007UL, 1, 0);

    public bool IsZero => Sequence == 0 && ObjectId == 0 && Version == 0;

    public override string ToString() =>
        $"[0x{Sequence:x}:0x{ObjectId:x}:0x{Version:x}]";

    public static bool TryParse(string? text, out Fid fid)
    {
        fid = default;
        if (text is null || text.Length < 7 || text[0] != '[' || text[^1] != ']')
        {
            return false;
        }

        var parts = text[1..^1].Split(':');
        if (parts.Length != 3)
        {
            return false;
        }

        if (!TryHex(parts[0], out var seq) || !TryHex(parts[1], out var oid) || !TryHex(parts[2], out var ver)
            || oid > uint.MaxValue || ver > uint.MaxValue)
        {
            return false;
        }

        fid = new Fid(seq, (uint)oid, (uint)ver);
        return true;
    }

    public static Fid Parse(string text) =>
        TryParse(text, out var fid) ? fid : throw new FormatException($"'{text}' is not a FID of the form [0xSEQ:0xOID:0xVER]");

    /// <summary>16 bytes, big-endian: sequence, object id, version.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[16];
        WriteBytes(bytes);
        return bytes;
    }

    public void WriteBytes(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], ObjectId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], Version);
    }

    public static Fid FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 16)
        {
            throw new FormatException($"a FID is 16 bytes, got {bytes.Length}");
        }

        return new Fid(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]));
    }

    public int CompareTo(Fid other)
    {
        var c = Sequence.CompareTo(other.Sequence);
        if (c != 0)
        {
            return c;
        }

        c = ObjectId.CompareTo(other.ObjectId);
        return c != 0 ? c : Version.CompareTo(other.Version);
    }

    private static bool TryHex(string s, out ulong value)
    {
        value = 0;
        return s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }
}
