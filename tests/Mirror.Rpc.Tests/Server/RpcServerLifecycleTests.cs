using System.Net;
using System.Net.Sockets;
using Mirror.Rpc.Tests.Proto;
using Mirror.Rpc.Tests.Support;

namespace Mirror.Rpc.Tests.Server;

public sealed class RpcServerLifecycleTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("mirror-rpc-");

    [Fact]
    public async Task Unix_socket_only_server_has_no_tcp_address_and_replaces_a_stale_socket_file()
    {
        var socket = Path.Combine(directory.FullName, "csi.sock");
        await File.WriteAllTextAsync(socket, "left behind by a killed process");
        var service = new EchoService();

        await using var server = await RpcServer.StartAsync(new RpcServerOptions { Host = null, UnixSocketPath = socket, MetricsPort = null }, [service.Build()]);
        using var channel = RpcChannel.ForUnixSocket(socket, null);
        var reply = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request("uds only"));

        Assert.Null(server.Address);
        Assert.Equal("uds only", reply.Text);
    }

    [Fact]
    public async Task Port_in_use_fails_start()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        await Assert.ThrowsAnyAsync<IOException>(() =>
            RpcServer.StartAsync(new RpcServerOptions { Port = port, MetricsPort = null }, [new EchoService().Build()]));
    }

    [Fact]
    public async Task Same_method_in_two_services_is_refused()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RpcServer.StartAsync(new RpcServerOptions { MetricsPort = null }, [new EchoService().Build(), new EchoService().Build()]));

        Assert.Contains(EchoService.Echo, ex.Message);
    }

    [Fact]
    public async Task Stop_twice_is_harmless()
    {
        var server = await RpcServer.StartAsync(new RpcServerOptions(), [new EchoService().Build()]);

        await server.StopAsync();
        await server.StopAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Non_post_request_is_405()
    {
        await using var server = await EchoServer.StartAsync();
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.Echo, [], method: HttpMethod.Put);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.Status);
    }

    public void Dispose() => directory.Delete(recursive: true);
}
