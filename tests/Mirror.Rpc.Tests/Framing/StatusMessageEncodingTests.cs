using Mirror.Rpc.Framing;

namespace Mirror.Rpc.Tests.Framing;

public sealed class StatusMessageEncodingTests
{
    [Theory]
    [InlineData("plain ascii text", "plain ascii text")]
    [InlineData("100%", "100%25")]
    [InlineData("ü", "%C3%BC")]
    [InlineData("line\nbreak\t", "line%0Abreak%09")]
    [InlineData("~ and space", "~ and space")]
    [InlineData("\u007f", "%7F")]
    public void Encodes_per_the_spec(string message, string wire) => Assert.Equal(wire, StatusMessageEncoding.Encode(message));

    [Theory]
    [InlineData("no such file: /a/ü%b")]
    [InlineData("日本語 ✓ 100% %% %41")]
    [InlineData("")]
    public void Round_trips(string message) => Assert.Equal(message, StatusMessageEncoding.Decode(StatusMessageEncoding.Encode(message)));

    [Theory]
    [InlineData("50%", "50%")]
    [InlineData("%zz ok", "%zz ok")]
    [InlineData("%4", "%4")]
    [InlineData("%41%62", "Ab")]
    [InlineData("%c3%bc", "ü")]
    public void Decoding_keeps_malformed_escapes(string wire, string message) => Assert.Equal(message, StatusMessageEncoding.Decode(wire));

    [Fact]
    public void Long_messages_are_cut_to_the_limit_without_splitting_characters()
    {
        var message = string.Concat(Enumerable.Repeat("ü😀a", 5000));

        var encoded = StatusMessageEncoding.Encode(message, 4096);

        Assert.InRange(encoded.Length, 3000, 4096);
        Assert.EndsWith("...", encoded);
        var decoded = StatusMessageEncoding.Decode(encoded);
        Assert.StartsWith(decoded[..^3], message);
        Assert.DoesNotContain('\uFFFD', decoded);
    }

    [Fact]
    public void Short_messages_are_not_cut() => Assert.Equal("abc%25", StatusMessageEncoding.Encode("abc%", 4096));
}
