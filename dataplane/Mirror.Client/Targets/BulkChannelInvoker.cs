using Google.Protobuf;
using Mirror.Client.Metadata;
using Mirror.Rpc;

namespace Mirror.Client.Targets;

/// <summary>An invoker that can send a large bytes field from the caller's memory (<see cref="BulkPayload"/>, gather write).</summary>
public interface IPayloadInvoker : IRpcInvoker
{
    Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, BulkPayload payload, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new();
}

/// <summary>An OST's bulk data channel (<see cref="BulkChannel"/>) as an <see cref="IRpcInvoker"/>: unary calls only.</summary>
public sealed class BulkChannelInvoker(BulkChannel channel) : IPayloadInvoker
{
    public string Target => channel.Target;

    public static IRpcInvoker ForAddress(string address, string? token) => new BulkChannelInvoker(BulkChannel.ForAddress(address, token));

    public Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        channel.UnaryAsync<TRequest, TResponse>(method, request, options);

    public Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, BulkPayload payload, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        channel.UnaryAsync<TRequest, TResponse>(method, request, payload, options);

    public void Dispose() => channel.Dispose();
}
