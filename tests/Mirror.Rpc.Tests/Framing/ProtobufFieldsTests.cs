using Google.Protobuf;
using Mirror.Rpc.Framing;

namespace Mirror.Rpc.Tests.Framing;

public sealed class ProtobufFieldsTests
{
    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(1UL, 1)]
    [InlineData(127UL, 1)]
    [InlineData(128UL, 2)]
    [InlineData(16_383UL, 2)]
    [InlineData(16_384UL, 3)]
    [InlineData((ulong)uint.MaxValue, 5)]
    [InlineData((ulong)uint.MaxValue + 1, 5)]
    [InlineData((ulong)long.MaxValue, 9)]
    [InlineData(ulong.MaxValue, 10)]
    public void A_varint_reads_back_what_protobuf_wrote_and_ends_after_its_last_byte(ulong value, int bytes)
    {
        var wire = Encode(o => o.WriteUInt64(value)).Concat(new byte[] { 0xAA }).ToArray();
        var at = 0;

        Assert.True(ProtobufFields.TryReadVarint(wire, ref at, out var read));

        Assert.Equal(value, read);
        Assert.Equal(bytes, at);
    }

    [Fact]
    public void A_varint_starting_inside_the_span_is_read_from_there()
    {
        byte[] wire = [0xFF, 0xAC, 0x02, 0x01];
        var at = 1;

        Assert.True(ProtobufFields.TryReadVarint(wire, ref at, out var read));

        Assert.Equal(300UL, read);
        Assert.Equal(3, at);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x80 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF })]
    public void A_varint_whose_bytes_end_before_its_last_byte_is_not_read(byte[] wire)
    {
        var at = 0;
        Assert.False(ProtobufFields.TryReadVarint(wire, ref at, out _));
    }

    [Fact]
    public void A_varint_longer_than_ten_bytes_is_not_read()
    {
        var wire = Enumerable.Repeat((byte)0x80, 10).Append((byte)0x01).ToArray();
        var at = 0;
        Assert.False(ProtobufFields.TryReadVarint(wire, ref at, out _));
    }

    [Fact]
    public void A_bytes_field_after_fields_of_every_wire_type_is_found_where_protobuf_put_it()
    {
        var payload = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var wire = Encode(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint);
            o.WriteUInt64(ulong.MaxValue);
            o.WriteTag(2, WireFormat.WireType.Fixed64);
            o.WriteFixed64(7);
            o.WriteTag(3, WireFormat.WireType.Fixed32);
            o.WriteFixed32(9);
            o.WriteTag(4, WireFormat.WireType.LengthDelimited);
            o.WriteString("small");
            o.WriteTag(20, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(payload));
        });

        var fields = Walk(wire);

        Assert.Equal([1, 2, 3, 4, 20], fields.Select(f => f.Number));
        Assert.Equal([0, 1, 5, 2, 2], fields.Select(f => f.WireType));
        Assert.Equal([10, 8, 4, 5, 300], fields.Select(f => f.Length));
        var last = fields[^1];
        Assert.Equal(wire.Length - 300 - 2 - 2, last.KeyAt); // key 20<<3|2 = 162 and length 300 take two bytes each
        Assert.Equal(wire.Length - 300, last.ValueAt);
        Assert.Equal(wire.Length, last.End);
        Assert.Equal(payload, wire[last.ValueAt..last.End]);
        Assert.Equal("small", System.Text.Encoding.UTF8.GetString(wire, fields[3].ValueAt, fields[3].Length));
    }

    [Fact]
    public void A_value_running_past_the_bytes_is_reported_with_its_declared_length()
    {
        // The first bytes of a message: key and length of a 1 MiB field, then only part of its value.
        var wire = Encode(o =>
        {
            o.WriteTag(3, WireFormat.WireType.LengthDelimited);
            o.WriteLength(1 << 20);
        }).Concat(new byte[16]).ToArray();
        var at = 0;

        Assert.True(ProtobufFields.TryReadField(wire, ref at, out var field));

        Assert.Equal(3, field.Number);
        Assert.Equal(1 << 20, field.Length);
        Assert.Equal(wire.Length - 16, field.ValueAt);
        Assert.True(field.End > wire.Length);
        Assert.Equal(field.End, at);
    }

    [Theory]
    [InlineData(new byte[] { 0x80 })] // key truncated
    [InlineData(new byte[] { 0x08 })] // varint field without its value
    [InlineData(new byte[] { 0x08, 0x80 })] // varint value truncated
    [InlineData(new byte[] { 0x1A })] // length-delimited without its length
    [InlineData(new byte[] { 0x1A, 0xFF })] // length truncated
    [InlineData(new byte[] { 0x0B, 0x00 })] // start group (wire type 3)
    [InlineData(new byte[] { 0x0C, 0x00 })] // end group (wire type 4)
    [InlineData(new byte[] { 0x0E, 0x00 })] // wire type 6 does not exist
    [InlineData(new byte[] { 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })] // a length of 4 GiB - 1: past any int offset
    public void Truncated_or_unwalkable_fields_are_not_read(byte[] wire)
    {
        var at = 0;
        Assert.False(ProtobufFields.TryReadField(wire, ref at, out _));
    }

    private static List<ProtobufField> Walk(byte[] wire)
    {
        var fields = new List<ProtobufField>();
        var at = 0;
        while (at < wire.Length)
        {
            Assert.True(ProtobufFields.TryReadField(wire, ref at, out var field));
            fields.Add(field);
        }

        Assert.Equal(wire.Length, at);
        return fields;
    }

    private static byte[] Encode(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }
}
