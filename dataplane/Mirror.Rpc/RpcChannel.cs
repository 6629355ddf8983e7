using Google.Protobuf;

namespace Mirror.Rpc;

/// <summary>
/// A gRPC client connection over SocketsHttpHandler (HTTP/2 prior knowledge; TCP or a unix socket).
/// Thread-safe; one per peer, many concurrent calls multiplexed on it. Every call carries the cluster
/// token when one was given.
/// </summary>
public sealed class RpcChannel : IDisposable
{
    private RpcChannel()
    {
    }

    /// <summary>The peer, as given ("127.0.0.1:4000" or "unix:/path").</summary>
    public string Target { get; private set; } = "";

    /// <param name="address">host:port.</param>
    /// <param name="token">The cluster token; null = send none.</param>
    public static RpcChannel ForAddress(string address, string? token) => throw new NotImplementedException();

    public static RpcChannel ForUnixSocket(string path, string? token) => throw new NotImplementedException();

    /// <summary>A unary call. Throws <see cref="RpcException"/> for any non-OK status, including transport failures (UNAVAILABLE).</summary>
    public Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        throw new NotImplementedException();

    /// <summary>A server-streaming call; the enumeration ends at the OK trailer or throws <see cref="RpcException"/>.</summary>
    public IAsyncEnumerable<TResponse> ServerStreamingAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();
}
