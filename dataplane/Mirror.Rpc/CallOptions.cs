namespace Mirror.Rpc;

/// <summary>Per-call options: deadline (sent as grpc-timeout), cancellation, extra request metadata.</summary>
public readonly record struct CallOptions(
    TimeSpan? Timeout = null,
    CancellationToken CancellationToken = default,
    IReadOnlyDictionary<string, string>? Headers = null);
