using Google.Protobuf;
using Mirror.Client.Metadata;
using Mirror.Rpc;

namespace Mirror.Client.Tests.Fakes;

/// <summary>A peer without a network: each method path maps to a handler; unknown methods are UNIMPLEMENTED.</summary>
internal sealed class FakeRpc(string target = "fake:1") : IRpcInvoker
{
    private readonly Dictionary<string, Func<IMessage, IMessage>> handlers = [];

    public string Target { get; } = target;

    public List<string> Calls { get; } = [];

    public bool Disposed { get; private set; }

    public FakeRpc On<TReq, TResp>(string method, Func<TReq, TResp> handler)
        where TReq : IMessage
        where TResp : IMessage
    {
        handlers[method] = req => handler((TReq)req);
        return this;
    }

    public Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        lock (Calls)
        {
            Calls.Add(method);
        }

        if (!handlers.TryGetValue(method, out var handler))
        {
            throw new RpcException(StatusCode.Unimplemented, $"{method} is not implemented by {Target}");
        }

        // Round-trip through bytes, as the wire would, so handlers never share objects with callers.
        var copy = (TRequest)request.Descriptor.Parser.ParseFrom(request.ToByteArray());
        var reply = handler(copy);
        var parsed = new TResponse();
        parsed.MergeFrom(reply.ToByteArray());
        return Task.FromResult(parsed);
    }

    public void Dispose() => Disposed = true;
}
