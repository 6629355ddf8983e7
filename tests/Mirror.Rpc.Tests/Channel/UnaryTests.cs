using Mirror.Core.Errors;
using Mirror.Rpc.Tests.Proto;
using Mirror.Rpc.Tests.Support;

namespace Mirror.Rpc.Tests.Channel;

public sealed class UnaryTests
{
    [Fact]
    public async Task Unary_round_trip_returns_the_handlers_reply()
    {
        await using var server = await EchoServer.StartAsync(token: "secret");
        using var channel = RpcChannel.ForAddress(server.Address, "secret");

        var reply = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request("héllo", payload: [1, 2, 3]));

        Assert.Equal("héllo", reply.Text);
        Assert.Equal(new byte[] { 1, 2, 3 }, reply.Payload.ToByteArray());
    }

    [Fact]
    public async Task Mirror_exception_reaches_the_caller_as_status_and_errno()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Fail, EchoService.Request("no such file: /a/ü%b", errno: Errno.ENOENT)));

        Assert.Equal(StatusCode.NotFound, ex.Status);
        Assert.Equal(Errno.ENOENT, ex.Errno);
        Assert.Equal("no such file: /a/ü%b", ex.Message);
        Assert.Equal(Errno.ENOENT, ex.ToMirrorException().Errno);
    }

    [Theory]
    [InlineData(StatusCode.FailedPrecondition)]
    [InlineData(StatusCode.Aborted)]
    [InlineData(StatusCode.PermissionDenied)]
    public async Task Rpc_exception_from_a_handler_keeps_its_status(StatusCode status)
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.FailStatus, EchoService.Request("layout changed", count: (int)status)));

        Assert.Equal(status, ex.Status);
        Assert.Equal("layout changed", ex.Message);
        Assert.Equal(RpcException.ErrnoFor(status), ex.Errno);
    }

    [Fact]
    public async Task Unexpected_handler_exception_is_unknown()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Crash, EchoService.Request("kaput")));

        Assert.Equal(StatusCode.Unknown, ex.Status);
        Assert.Contains("kaput", ex.Message);
    }

    [Fact]
    public async Task Wrong_token_through_the_channel_is_unauthenticated()
    {
        await using var server = await EchoServer.StartAsync(token: "right");
        using var channel = RpcChannel.ForAddress(server.Address, "wrong");

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request()));

        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
    }

    [Fact]
    public async Task Unknown_method_through_the_channel_is_unimplemented()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<EchoRequest, EchoReply>("/mirror.rpc.test.Echo/Missing", EchoService.Request()));

        Assert.Equal(StatusCode.Unimplemented, ex.Status);
        Assert.Equal(Errno.ENOSYS, ex.Errno);
    }

    [Fact]
    public async Task Custom_headers_and_deadline_reach_the_handler_but_the_token_does_not()
    {
        await using var server = await EchoServer.StartAsync(token: "t");
        using var channel = RpcChannel.ForAddress(server.Address, "t");
        var options = new CallOptions(Timeout: TimeSpan.FromSeconds(30), Headers: new Dictionary<string, string> { ["x-request-id"] = "r-42" });

        var header = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Metadata, EchoService.Request("x-request-id"), options);
        var token = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Metadata, EchoService.Request("authorization"), options);

        Assert.Equal("r-42", header.Text);
        Assert.Equal(1, header.Index);
        Assert.Equal("<none>", token.Text);
    }

    [Fact]
    public async Task Sixteen_MiB_message_round_trips()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);
        var payload = new byte[16 * 1024 * 1024];
        new Random(7).NextBytes(payload);

        var reply = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request(payload: payload));

        Assert.True(payload.AsSpan().SequenceEqual(reply.Payload.Span));
    }

    [Fact]
    public async Task Hundred_concurrent_calls_all_succeed()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);

        var replies = await Wait.For(Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request($"call {i}", payload: new byte[i * 1000])))));

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal($"call {i}", replies[i].Text);
            Assert.Equal(i * 1000, replies[i].Payload.Length);
        }
    }

    [Fact]
    public async Task Request_over_the_channel_limit_fails_before_sending()
    {
        await using var server = await EchoServer.StartAsync();
        using var small = RpcChannel.ForAddress(server.Address, null);
        small.MaxMessageBytes = 100;

        var ex = await Assert.ThrowsAsync<RpcException>(() => small.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request(payload: new byte[200])));

        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
    }

    [Fact]
    public async Task Oversize_request_through_the_channel_is_resource_exhausted_from_the_server()
    {
        await using var server = await EchoServer.StartAsync(maxMessageBytes: 64 * 1024);
        using var channel = RpcChannel.ForAddress(server.Address, null);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request(payload: new byte[4 * 1024 * 1024])));

        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
        Assert.Contains("exceeds the limit of 65536 bytes", ex.Message);
    }
}
