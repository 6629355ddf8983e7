namespace Mirror.Rpc.Tests.Support;

/// <summary>A real RpcServer on an ephemeral 127.0.0.1 port serving <see cref="EchoService"/>.</summary>
public sealed class EchoServer : IAsyncDisposable
{
    private EchoServer(RpcServer server, EchoService service)
    {
        Server = server;
        Service = service;
    }

    public RpcServer Server { get; }

    public EchoService Service { get; }

    public string Address => Server.Address!;

    public static async Task<EchoServer> StartAsync(string? token = null, int maxMessageBytes = 64 * 1024 * 1024, string? unixSocket = null,
        Func<bool>? health = null, int? metricsPort = 0, int? bulkPort = null)
    {
        var service = new EchoService();
        var server = await RpcServer.StartAsync(new RpcServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            Token = token,
            MaxMessageBytes = maxMessageBytes,
            UnixSocketPath = unixSocket,
            Health = health,
            MetricsPort = metricsPort,
            BulkPort = bulkPort,
        }, [service.Build()]);
        return new EchoServer(server, service);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
