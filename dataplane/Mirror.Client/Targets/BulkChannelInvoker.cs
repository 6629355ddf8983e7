using Google.Protobuf;
using Mirror.Client.Metadata;
using Mirror.Rpc;

namespace Mirror.Client.Targets;

/// <summary>An OST's bulk data channel (<see cref="BulkChannel"/>) as an <see cref="IRpcInvoker"/>: unary calls only.</summary>
public sealed class BulkChannelInvoker(BulkChannel channel) : IRpcInvoker
{
    public string Target => channel.Target;

    public static IRpcInvoker ForAddress(string address, string? token) => new BulkChannelInvoker(BulkChannel.ForAddress(address, token));

    public Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        channel.UnaryAsync<TRequest, TResponse>(method, request, options);

    public void Dispose() => channel.Dispose();
}
