namespace Mirror.Rpc;

/// <summary>What a handler knows about the call it serves.</summary>
public sealed class ServerCallContext
{
    public ServerCallContext(string method, string peer, DateTimeOffset? deadline, IReadOnlyDictionary<string, string> requestHeaders, CancellationToken cancellationToken)
    {
        Method = method;
        Peer = peer;
        Deadline = deadline;
        RequestHeaders = requestHeaders;
        CancellationToken = cancellationToken;
    }

    /// <summary>The full method path, e.g. <c>/mirror.ost.Ost/Write</c>.</summary>
    public string Method { get; }

    public string Peer { get; }

    /// <summary>From the caller's grpc-timeout; null when the caller set none.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>Custom request metadata (lower-case keys), reserved HTTP/2 and grpc- headers excluded.</summary>
    public IReadOnlyDictionary<string, string> RequestHeaders { get; }

    /// <summary>Cancelled when the caller cancels (RST_STREAM), the deadline passes or the server stops.</summary>
    public CancellationToken CancellationToken { get; }
}

/// <summary>The sending half of a server-streaming call.</summary>
public interface IServerStreamWriter<in T>
{
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}
