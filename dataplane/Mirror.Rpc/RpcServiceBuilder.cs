using Google.Protobuf;

namespace Mirror.Rpc;

/// <summary>The two call shapes this layer serves.</summary>
public enum RpcMethodKind
{
    Unary,
    ServerStreaming,
}

/// <summary>
/// One registered method, type-erased: it parses its request from bytes and hands each response
/// message to <paramref name="send"/> as bytes (one for unary, any number for server streaming).
/// </summary>
public sealed record RpcMethod(
    string FullName,
    RpcMethodKind Kind,
    Func<ReadOnlyMemory<byte>, ServerCallContext, Func<ReadOnlyMemory<byte>, CancellationToken, Task>, Task> Invoke);

/// <summary>
/// Collects the handlers of one service (<c>mirror.ost.Ost</c>, say). Handlers are plain async
/// methods of a service class; this builder is the only place that knows about wire bytes.
/// </summary>
public sealed class RpcServiceBuilder
{
    private readonly Dictionary<string, RpcMethod> methods = new(StringComparer.Ordinal);

    public RpcServiceBuilder(string serviceName) => ServiceName = serviceName;

    public string ServiceName { get; }

    public IReadOnlyCollection<RpcMethod> Methods => methods.Values;

    /// <param name="method">The method name alone (<c>Write</c>) or its full path (<c>/mirror.ost.Ost/Write</c>).</param>
    public RpcServiceBuilder Unary<TRequest, TResponse>(string method, Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>
    {
        var parser = new MessageParser<TRequest>(() => new TRequest());
        return AddUnary(method, bytes => parser.ParseFrom(bytes.Span), handler, release: null);
    }

    /// <summary>A unary method whose <paramref name="borrowed"/> bytes field reaches the handler without a copy (see <see cref="BorrowedBytesField{TRequest}"/>).</summary>
    public RpcServiceBuilder Unary<TRequest, TResponse>(string method, Func<TRequest, ServerCallContext, Task<TResponse>> handler, BorrowedBytesField<TRequest> borrowed)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>
    {
        var parser = new MessageParser<TRequest>(() => new TRequest());
        return AddUnary(method, bytes => borrowed.Parse(parser, bytes), handler, release: null);
    }

    /// <summary>
    /// A unary method whose response borrows memory the handler must get back (OST Read's data lies in a pooled
    /// buffer): <paramref name="release"/> runs once the response was serialized, the only point after which this
    /// layer no longer reads it, whether the reply is then sent or not.
    /// </summary>
    public RpcServiceBuilder Unary<TRequest, TResponse>(string method, Func<TRequest, ServerCallContext, Task<TResponse>> handler, Action<TResponse> release)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>
    {
        var parser = new MessageParser<TRequest>(() => new TRequest());
        return AddUnary(method, bytes => parser.ParseFrom(bytes.Span), handler, release);
    }

    public RpcServiceBuilder ServerStreaming<TRequest, TResponse>(string method, Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>
    {
        var parser = new MessageParser<TRequest>(() => new TRequest());
        Add(new RpcMethod(FullName(method), RpcMethodKind.ServerStreaming, (bytes, context, send) =>
        {
            var request = parser.ParseFrom(bytes.Span);
            return handler(request, new StreamWriter<TResponse>(send, context.CancellationToken), context);
        }));
        return this;
    }

    private RpcServiceBuilder AddUnary<TRequest, TResponse>(string method, Func<ReadOnlyMemory<byte>, TRequest> parse, Func<TRequest, ServerCallContext, Task<TResponse>> handler, Action<TResponse>? release)
        where TResponse : IMessage<TResponse>
    {
        Add(new RpcMethod(FullName(method), RpcMethodKind.Unary, async (bytes, context, send) =>
        {
            var response = await handler(parse(bytes), context).ConfigureAwait(false);
            byte[] wire;
            try
            {
                wire = Serialize(response);
            }
            finally
            {
                release?.Invoke(response);
            }

            await send(wire, context.CancellationToken).ConfigureAwait(false);
        }));
        return this;
    }

    /// <summary>
    /// The message's wire bytes in an array of exactly their size (the bulk listener sends such an array as it
    /// is). Uninitialized: every byte is written by the serializer, so the 1 MiB of a read reply is not zeroed
    /// first as ToByteArray would.
    /// </summary>
    private static byte[] Serialize(IMessage message)
    {
        var wire = GC.AllocateUninitializedArray<byte>(message.CalculateSize());
        message.WriteTo(wire);
        return wire;
    }

    private void Add(RpcMethod method)
    {
        if (!methods.TryAdd(method.FullName, method))
        {
            throw new InvalidOperationException($"method {method.FullName} is registered twice");
        }
    }

    private string FullName(string method) =>
        method.StartsWith('/') ? method : $"/{ServiceName}/{method}";

    private sealed class StreamWriter<T>(Func<ReadOnlyMemory<byte>, CancellationToken, Task> send, CancellationToken callToken) : IServerStreamWriter<T>
        where T : IMessage<T>
    {
        public Task WriteAsync(T message, CancellationToken cancellationToken = default) =>
            send(Serialize(message), cancellationToken.CanBeCanceled ? cancellationToken : callToken);
    }
}
