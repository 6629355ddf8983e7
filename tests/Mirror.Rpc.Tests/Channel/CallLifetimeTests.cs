using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Mirror.Core.Errors;
using Mirror.Rpc.Tests.Proto;
using Mirror.Rpc.Tests.Support;

namespace Mirror.Rpc.Tests.Channel;

/// <summary>Deadlines, cancellation, transports, and a peer that is not there.</summary>
public sealed class CallLifetimeTests
{
    [Fact]
    public async Task Deadline_ends_the_call_with_deadline_exceeded_and_cancels_the_handler()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);
        // A warm connection, so the deadline cannot pass before the handler even starts.
        await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request());

        var ex = await Assert.ThrowsAsync<RpcException>(() => Wait.For(
            channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.WaitForCancel, EchoService.Request(), new CallOptions(Timeout: TimeSpan.FromSeconds(1)))));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
        Assert.Equal(Errno.ETIMEDOUT, ex.Errno);
        var context = await Wait.For(server.Service.Cancelled);
        Assert.NotNull(context.Deadline);
        Assert.True(context.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Server_deadline_fires_even_when_the_client_does_not_enforce_one()
    {
        await using var server = await EchoServer.StartAsync();
        using var client = new RawGrpcClient();
        await client.SendAsync(server.Address, EchoService.Echo, RawGrpcClient.Frame(EchoService.Request()));

        var response = await client.SendAsync(server.Address, EchoService.WaitForCancel, RawGrpcClient.Frame(EchoService.Request()),
            headers: new Dictionary<string, string> { ["grpc-timeout"] = "1S" });

        Assert.Equal("4", response.Headers["grpc-status"]);
        Assert.True((await Wait.For(server.Service.Cancelled)).CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Client_cancellation_is_cancelled_and_cancels_the_handler()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);
        using var cancel = new CancellationTokenSource();

        var call = channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.WaitForCancel, EchoService.Request(), new CallOptions(CancellationToken: cancel.Token));
        await Wait.For(server.Service.Started);
        await cancel.CancelAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => Wait.For(call));
        Assert.Equal(StatusCode.Cancelled, ex.Status);
        var context = await Wait.For(server.Service.Cancelled);
        Assert.True(context.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Stopping_the_server_cancels_in_flight_handlers()
    {
        var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);
        var call = channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.WaitForCancel, EchoService.Request());
        await Wait.For(server.Service.Started);

        await Wait.For(server.Server.StopAsync());

        await Wait.For(server.Service.Cancelled);
        var ex = await Assert.ThrowsAsync<RpcException>(() => Wait.For(call));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Unix_socket_transport_carries_calls_and_the_socket_is_removed_on_stop()
    {
        var directory = Directory.CreateTempSubdirectory("mirror-rpc-");
        try
        {
            var socket = Path.Combine(directory.FullName, "csi.sock");
            var server = await EchoServer.StartAsync(unixSocket: socket);
            await using (server)
            {
                using var channel = RpcChannel.ForAddress("unix:" + socket, null);

                var reply = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request("over uds"));

                Assert.Equal("over uds", reply.Text);
                Assert.Equal("unix:" + socket, channel.Target);
            }

            Assert.False(File.Exists(socket));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Connection_refused_is_unavailable_at_once_and_names_the_target()
    {
        var port = FreePort();
        using var channel = RpcChannel.ForAddress($"127.0.0.1:{port}", null);
        var clock = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request()));

        Assert.Equal(StatusCode.Unavailable, ex.Status);
        Assert.Equal(Errno.ECONNREFUSED, ex.Errno);
        Assert.Contains($"127.0.0.1:{port}", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Missing_unix_socket_is_unavailable()
    {
        using var channel = RpcChannel.ForUnixSocket(Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}.sock"), null);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request()));

        Assert.Equal(StatusCode.Unavailable, ex.Status);
    }

    [Fact]
    public async Task A_killed_server_turns_later_calls_into_unavailable()
    {
        var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);
        await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request());

        await server.DisposeAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => Wait.For(channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request())));
        Assert.Equal(StatusCode.Unavailable, ex.Status);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
