namespace Mirror.Rpc;

/// <summary>
/// A gRPC server on Kestrel: HTTP/2 with prior knowledge on TCP and/or a unix socket, unary and
/// server-streaming methods from <see cref="RpcServiceBuilder"/>s, the cluster token check, and an
/// HTTP/1.1 side listener for /metrics and /healthz.
/// </summary>
public sealed class RpcServer : IAsyncDisposable
{
    private RpcServer()
    {
    }

    /// <summary>host:port of the gRPC TCP listener (the real port when 0 was asked for).</summary>
    public string? Address { get; private set; }

    /// <summary>http://127.0.0.1:PORT of the metrics listener, or null.</summary>
    public Uri? MetricsUri { get; private set; }

    public static Task<RpcServer> StartAsync(RpcServerOptions options, IEnumerable<RpcServiceBuilder> services, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    public Task StopAsync() => throw new NotImplementedException();

    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
