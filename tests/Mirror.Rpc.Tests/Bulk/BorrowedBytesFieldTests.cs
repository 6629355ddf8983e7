using Google.Protobuf;
using Mirror.Core.Errors;
using Mirror.Rpc.Tests.Proto;
using Mirror.Rpc.Tests.Support;

namespace Mirror.Rpc.Tests.Bulk;

public sealed class BorrowedBytesFieldTests
{
    private static readonly MessageParser<EchoRequest> Parser = new(() => new EchoRequest());
    private static readonly BorrowedBytesField<EchoRequest> Payload = new(EchoRequest.PayloadFieldNumber, (r, b) => r.Payload = b);

    [Fact]
    public void Parses_the_same_message_as_the_plain_parser_with_the_payload_pointing_into_the_wire_bytes()
    {
        var request = EchoService.Request("before and after", count: 7, errno: Errno.EIO, payload: [1, 2, 3, 4, 5]);
        var wire = request.ToByteArray();

        var parsed = Payload.Parse(Parser, wire);

        Assert.Equal(request, parsed);
        wire[wire.AsSpan().IndexOf(new byte[] { 1, 2, 3, 4, 5 })] = 9;
        Assert.Equal(9, parsed.Payload.Span[0]);
    }

    [Fact]
    public void A_message_without_the_field_parses_as_usual()
    {
        var request = EchoService.Request("no payload", count: 3);

        Assert.Equal(request, Payload.Parse(Parser, request.ToByteArray()));
    }

    [Fact]
    public void A_repeated_field_is_left_to_the_plain_parser_where_the_last_one_wins()
    {
        var wire = EchoService.Request(payload: [1]).ToByteArray().Concat(EchoService.Request(payload: [2, 2]).ToByteArray()).ToArray();

        Assert.Equal(new byte[] { 2, 2 }, Payload.Parse(Parser, wire).Payload.ToByteArray());
    }

    [Fact]
    public void A_truncated_message_is_rejected_as_the_plain_parser_rejects_it()
    {
        var wire = EchoService.Request("x", payload: new byte[100]).ToByteArray()[..^10];

        Assert.Throws<InvalidProtocolBufferException>(() => Payload.Parse(Parser, wire));
    }

    [Fact]
    public async Task A_handler_registered_with_a_borrowed_field_gets_the_payload_over_both_transports()
    {
        var builder = new RpcServiceBuilder("mirror.rpc.test.Borrow").Unary<EchoRequest, EchoReply>("Echo",
            (r, _) => Task.FromResult(new EchoReply { Text = r.Text, Payload = ByteString.CopyFrom(r.Payload.Span) }), Payload);
        await using var server = await RpcServer.StartAsync(new RpcServerOptions { Host = "127.0.0.1", BulkPort = 0, MetricsPort = null }, [builder]);
        using var grpc = RpcChannel.ForAddress(server.Address!, null);
        using var bulk = BulkChannel.ForAddress(server.BulkAddress!, null);
        var payload = new byte[3 * 1024 * 1024];
        new Random(3).NextBytes(payload);

        var viaGrpc = await grpc.UnaryAsync<EchoRequest, EchoReply>("/mirror.rpc.test.Borrow/Echo", EchoService.Request("g", payload: payload));
        var viaBulk = await bulk.UnaryAsync<EchoRequest, EchoReply>("/mirror.rpc.test.Borrow/Echo", EchoService.Request("b", payload: payload));

        Assert.Equal(payload, viaGrpc.Payload.ToByteArray());
        Assert.Equal(payload, viaBulk.Payload.ToByteArray());
        Assert.Equal(("g", "b"), (viaGrpc.Text, viaBulk.Text));
    }
}
