using Microsoft.Extensions.Logging;

namespace Mirror.Ost.Host;

/// <summary>How an <see cref="OstHost"/> runs: its index and data dir, where it listens, whom it reports to.</summary>
public sealed class OstHostOptions
{
    public int Index { get; init; }

    public required string DataDir { get; init; }

    /// <summary>host:port of the MDS it registers and heartbeats with; null or empty = none (standalone).</summary>
    public string? MdsAddress { get; init; }

    /// <summary>The FLR pool this OST belongs to (e.g. "flash").</summary>
    public string Pool { get; init; } = "";

    /// <summary>Labels goals place copies by (e.g. "ssd").</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    public string FailureDomain { get; init; } = "";

    public string ListenHost { get; init; } = "127.0.0.1";

    /// <summary>
    /// host:port clients should dial, as registered with the MDS (a pod IP when listening on 0.0.0.0);
    /// null = the listener's own address.
    /// </summary>
    public string? AdvertiseAddress { get; init; }

    /// <summary>0 = an ephemeral port (read <see cref="OstHost.Address"/>).</summary>
    public int Port { get; init; }

    /// <summary>HTTP/1.1 port of /metrics: 0 = ephemeral, null = not served.</summary>
    public int? MetricsPort { get; init; } = 0;

    /// <summary>TCP port of the bulk data channel for Write/Read (Mirror.Rpc Bulk/): 0 = ephemeral, null = gRPC only.</summary>
    public int? BulkPort { get; init; } = 0;

    /// <summary>The cluster token every call must carry, and the one sent to the MDS.</summary>
    public string? Token { get; init; }

    /// <summary>How often the commit thread makes changes durable (Lustre's journal commit is ~5 s).</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);

    public ILoggerFactory? LoggerFactory { get; init; }
}
