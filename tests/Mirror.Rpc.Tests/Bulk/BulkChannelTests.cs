using System.Net;
using System.Net.Sockets;
using Mirror.Core.Errors;
using Mirror.Rpc.Bulk;
using Mirror.Rpc.Tests.Proto;
using Mirror.Rpc.Tests.Support;

namespace Mirror.Rpc.Tests.Bulk;

/// <summary>The bulk data channel: the same handlers and the same call contract as gRPC, without HTTP/2.</summary>
public sealed class BulkChannelTests
{
    [Fact]
    public async Task Bulk_round_trip_carries_a_large_payload_to_the_handler_and_back()
    {
        await using var server = await EchoServer.StartAsync(token: "secret", bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, "secret");
        var payload = new byte[4 * 1024 * 1024 + 3];
        new Random(7).NextBytes(payload);

        var reply = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request("héllo", payload: payload));
        var again = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request("again"));

        Assert.Equal("héllo", reply.Text);
        Assert.Equal(payload, reply.Payload.ToByteArray());
        Assert.Equal("again", again.Text);
    }

    [Fact]
    public async Task Concurrent_calls_each_get_their_own_reply()
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null);

        var replies = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request($"call {i}", payload: new byte[i * 1000]))));

        Assert.Equal(Enumerable.Range(0, 16).Select(i => $"call {i}"), replies.Select(r => r.Text));
        Assert.Equal(Enumerable.Range(0, 16).Select(i => i * 1000), replies.Select(r => r.Payload.Length));
    }

    [Fact]
    public async Task Mirror_exception_reaches_the_caller_as_status_and_errno()
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null);

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Fail, EchoService.Request("no such object: ü", errno: Errno.ESTALE)));

        Assert.Equal(RpcException.StatusFor(Errno.ESTALE), ex.Status);
        Assert.Equal(Errno.ESTALE, ex.Errno);
        Assert.Equal("no such object: ü", ex.Message);
    }

    [Fact]
    public async Task Wrong_token_is_unauthenticated_and_the_handler_never_runs()
    {
        await using var server = await EchoServer.StartAsync(token: "right", bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, "wrong");

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.WaitForCancel, EchoService.Request()));

        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.False(server.Service.Started.Task.IsCompleted);
    }

    [Fact]
    public async Task Unknown_method_is_unimplemented()
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<EchoRequest, EchoReply>("/mirror.rpc.test.Echo/Nope", EchoService.Request()));

        Assert.Equal(StatusCode.Unimplemented, ex.Status);
        Assert.Contains("/mirror.rpc.test.Echo/Nope", ex.Message);
    }

    [Fact]
    public async Task Deadline_cancels_the_handler_and_the_caller_gets_deadline_exceeded()
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null);

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.WaitForCancel, EchoService.Request(), new CallOptions(Timeout: TimeSpan.FromMilliseconds(300))));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
        var context = await Wait.For(server.Service.Cancelled);
        Assert.True(context.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Caller_cancellation_is_cancelled_never_a_bare_operation_canceled()
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null);
        using var cts = new CancellationTokenSource();

        var call = channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.WaitForCancel, EchoService.Request(), new CallOptions(CancellationToken: cts.Token));
        await Wait.For(server.Service.Started);
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, ex.Status);
    }

    [Fact]
    public async Task Oversized_request_is_resource_exhausted_before_it_is_sent()
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null);
        channel.MaxMessageBytes = 1000;

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request(payload: new byte[2000])));

        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
    }

    [Fact]
    public async Task Refused_connection_is_unavailable_with_econnrefused()
    {
        var port = FreePort();
        using var channel = BulkChannel.ForAddress($"127.0.0.1:{port}", null);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request()));

        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.Equal(Errno.ECONNREFUSED, ex.Errno);
    }

    [Fact]
    public async Task Server_stopped_under_a_call_is_unavailable_and_the_handler_is_cancelled()
    {
        var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null);
        var call = channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.WaitForCancel, EchoService.Request());
        await Wait.For(server.Service.Started);

        await server.DisposeAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => Wait.For(call));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        await Wait.For(server.Service.Cancelled);
    }

    [Fact]
    public async Task A_pooled_connection_to_a_vanished_server_fails_as_unavailable()
    {
        var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null);
        await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request("warm"));

        await server.DisposeAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => Wait.For(channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request())));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
    }

    [Theory]
    [InlineData("bad magic")]
    [InlineData("call before hello")]
    [InlineData("reserved byte set")]
    [InlineData("text too long")]
    [InlineData("message too large")]
    public async Task Bad_frames_are_answered_with_an_error_and_the_connection_is_closed(string badness)
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0, maxMessageBytes: 1024 * 1024);
        using var socket = await ConnectAsync(server.Server.BulkAddress!);
        var frame = new byte[BulkHeader.Length];
        if (badness != "call before hello")
        {
            new BulkHeader(BulkFrameKind.Hello, 0, 0, 0, 0).Write(frame);
            await socket.SendAsync(frame);
            var ok = await ReadHeaderAsync(socket);
            Assert.Equal((uint)StatusCode.OK, ok!.Value.Code);
        }

        switch (badness)
        {
            case "bad magic":
                new BulkHeader(BulkFrameKind.Call, 0, 0, 0, 0).Write(frame);
                frame[0] = (byte)'X';
                break;
            case "call before hello":
                new BulkHeader(BulkFrameKind.Call, 0, 0, 0, 0).Write(frame);
                break;
            case "reserved byte set":
                new BulkHeader(BulkFrameKind.Call, 0, 0, 0, 0).Write(frame);
                frame[6] = 1;
                break;
            case "text too long":
                new BulkHeader(BulkFrameKind.Call, 0, 0, BulkHeader.MaxTextBytes + 1, 0).Write(frame);
                break;
            default:
                new BulkHeader(BulkFrameKind.Call, 0, 0, 10, 2 * 1024 * 1024).Write(frame);
                break;
        }

        await socket.SendAsync(frame);
        var reply = await ReadHeaderAsync(socket);

        Assert.NotNull(reply);
        Assert.Equal(BulkFrameKind.Reply, reply.Value.Kind);
        Assert.Equal(badness == "message too large" ? (uint)StatusCode.ResourceExhausted : (uint)StatusCode.Internal, reply.Value.Code);
        await ReadToEndAsync(socket, reply.Value.TextLength);
        Assert.False(server.Service.Started.Task.IsCompleted);
    }

    [Fact]
    public async Task A_peer_that_dies_inside_a_frame_leaves_the_server_serving_others()
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0);
        using (var socket = await ConnectAsync(server.Server.BulkAddress!))
        {
            var frame = new byte[BulkHeader.Length];
            new BulkHeader(BulkFrameKind.Hello, 0, 0, 0, 0).Write(frame);
            await socket.SendAsync(frame);
            await ReadHeaderAsync(socket);
            new BulkHeader(BulkFrameKind.Call, 0, 0, 20, 1000).Write(frame);
            await socket.SendAsync(frame.AsMemory(0, 10));
        }

        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null);
        var reply = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request("still here"));
        Assert.Equal("still here", reply.Text);
    }

    [Fact]
    public async Task Bulk_address_is_absent_unless_asked_for()
    {
        await using var server = await EchoServer.StartAsync();

        Assert.Null(server.Server.BulkAddress);
    }

    private static async Task<Socket> ConnectAsync(string address)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPEndPoint.Parse(address));
        return socket;
    }

    private static async Task<BulkHeader?> ReadHeaderAsync(Socket socket)
    {
        var header = new byte[BulkHeader.Length];
        var done = 0;
        while (done < header.Length)
        {
            var n = await socket.ReceiveAsync(header.AsMemory(done)).AsTask().WaitAsync(Wait.Limit);
            if (n == 0)
            {
                return null;
            }

            done += n;
        }

        return BulkHeader.Read(header, int.MaxValue);
    }

    /// <summary>Reads the reply text, then expects the server to close the connection.</summary>
    private static async Task ReadToEndAsync(Socket socket, int textLength)
    {
        var buffer = new byte[4096];
        var total = 0;
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(Wait.Limit);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        Assert.Equal(textLength, total);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
