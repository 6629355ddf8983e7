using System.IO.Pipelines;
using Mirror.Rpc.Framing;
using Mirror.Rpc.Server;

namespace Mirror.Rpc.Tests.Framing;

public sealed class MessageFrameTests
{
    [Fact]
    public void Prefix_is_flag_then_big_endian_length()
    {
        var prefix = new byte[5];

        MessageFrame.WritePrefix(prefix, 0x01020304);

        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, prefix);
        Assert.Equal(new MessagePrefix(0, 0x01020304), MessageFrame.ReadPrefix(prefix));
    }

    [Fact]
    public void Length_is_read_as_unsigned_and_flag_is_kept()
    {
        var prefix = MessageFrame.ReadPrefix(new byte[] { 1, 0xFF, 0xFF, 0xFF, 0xFF });

        Assert.Equal(uint.MaxValue, prefix.Length);
        Assert.True(prefix.Compressed);
        Assert.False(MessageFrame.ReadPrefix(new byte[] { 2, 0, 0, 0, 0 }).Valid);
    }

    [Fact]
    public async Task Request_reader_assembles_a_message_from_single_byte_writes()
    {
        var pipe = new Pipe();
        var framed = Support.RawGrpcClient.Frame([10, 20, 30, 40, 50, 60, 70]);
        var reading = RequestReader.ReadSingleAsync(pipe.Reader, 1024, CancellationToken.None);

        foreach (var b in framed)
        {
            await pipe.Writer.WriteAsync(new[] { b });
        }

        await pipe.Writer.CompleteAsync();
        var message = await reading;

        Assert.Null(message.Error);
        Assert.Equal(new byte[] { 10, 20, 30, 40, 50, 60, 70 }, message.Memory.ToArray());
        message.Release();
    }

    [Fact]
    public async Task Request_reader_accepts_an_empty_message()
    {
        var message = await ReadAsync(Support.RawGrpcClient.Frame([]));

        Assert.Null(message.Error);
        Assert.Equal(0, message.Length);
    }

    [Theory]
    [InlineData(new byte[] { }, StatusCode.Internal, "no message")]
    [InlineData(new byte[] { 0, 0, 0 }, StatusCode.Internal, "inside the 5-byte message prefix")]
    [InlineData(new byte[] { 0, 0, 0, 0, 4, 1, 2 }, StatusCode.Internal, "ended after 2 of the 4 message bytes")]
    [InlineData(new byte[] { 0, 0, 0, 0, 1, 9, 0, 0, 0, 0, 0 }, StatusCode.Internal, "more than one message")]
    [InlineData(new byte[] { 1, 0, 0, 0, 1, 9 }, StatusCode.Internal, "compressed flag")]
    [InlineData(new byte[] { 7, 0, 0, 0, 1, 9 }, StatusCode.Internal, "compressed-flag byte 7")]
    [InlineData(new byte[] { 0, 0, 0, 4, 1 }, StatusCode.ResourceExhausted, "1025 bytes exceeds the limit of 1024")]
    public async Task Request_reader_rejects_malformed_bodies(byte[] body, StatusCode status, string reason)
    {
        var message = await ReadAsync(body);

        Assert.Equal(status, message.Status);
        Assert.Contains(reason, message.Error);
        Assert.Null(message.Buffer);
    }

    private static async Task<RequestMessage> ReadAsync(byte[] body)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(body);
        await pipe.Writer.CompleteAsync();
        return await RequestReader.ReadSingleAsync(pipe.Reader, 1024, CancellationToken.None);
    }
}
