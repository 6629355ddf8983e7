using Google.Protobuf;
using Mirror.Rpc;

namespace Mirror.Client.Metadata;

/// <summary>
/// The one capability the client layers need from the Rpc layer: a unary call. <see cref="RpcChannel"/>
/// is sealed, so this seam lets tests stand in a fake MDS or OST without a network.
/// </summary>
public interface IRpcInvoker : IDisposable
{
    /// <summary>The peer ("127.0.0.1:4000").</summary>
    string Target { get; }

    Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new();

    /// <summary>A server-streaming call (the MDS Callbacks stream); peers without streaming answer UNIMPLEMENTED.</summary>
    IAsyncEnumerable<TResponse> ServerStreamingAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        throw new RpcException(StatusCode.Unimplemented, $"{method}: {Target} does not stream");
}

/// <summary>The production <see cref="IRpcInvoker"/>: a real <see cref="RpcChannel"/>.</summary>
public sealed class RpcChannelInvoker(RpcChannel channel) : IRpcInvoker
{
    public string Target => channel.Target;

    public static IRpcInvoker ForAddress(string address, string? token) => new RpcChannelInvoker(RpcChannel.ForAddress(address, token));

    public Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        channel.UnaryAsync<TRequest, TResponse>(method, request, options);

    public IAsyncEnumerable<TResponse> ServerStreamingAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        channel.ServerStreamingAsync<TRequest, TResponse>(method, request, options);

    public void Dispose() => channel.Dispose();
}
