using Microsoft.Extensions.Logging;

namespace Mirror.Rpc;

/// <summary>Where and how an <see cref="RpcServer"/> listens.</summary>
public sealed class RpcServerOptions
{
    /// <summary>TCP address for gRPC (HTTP/2 prior knowledge); null = no TCP listener.</summary>
    public string? Host { get; init; } = "127.0.0.1";

    /// <summary>0 = an ephemeral port, read it back from <see cref="RpcServer.Address"/>.</summary>
    public int Port { get; init; }

    /// <summary>A unix socket path for gRPC (the CSI endpoint); null = none.</summary>
    public string? UnixSocketPath { get; init; }

    /// <summary>
    /// The cluster token every call must carry (<c>authorization: Bearer TOKEN</c>); a call without it
    /// gets UNAUTHENTICATED. Null = no token check (CSI on its unix socket).
    /// </summary>
    public string? Token { get; init; }

    /// <summary>Largest request or response message accepted, in bytes (RESOURCE_EXHAUSTED beyond).</summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>
    /// HTTP/1.1 port for <c>/metrics</c> (Prometheus text 0.0.4) and <c>/healthz</c>: 0 = ephemeral,
    /// null = not served.
    /// </summary>
    public int? MetricsPort { get; init; } = 0;

    /// <summary>
    /// TCP port of the bulk data channel (Bulk/, README "Bulk data channel") on <see cref="Host"/>: the same
    /// unary methods without HTTP/2, for large messages. 0 = ephemeral, null = not served.
    /// </summary>
    public int? BulkPort { get; init; }

    /// <summary>Answers /healthz: true = 200 "ok", false = 503.</summary>
    public Func<bool>? Health { get; init; }

    public ILoggerFactory? LoggerFactory { get; init; }
}
