using Microsoft.Extensions.Logging;
using Mirror.Client.Locks;
using Mirror.Client.Metadata;
using Mirror.Client.Targets;

namespace Mirror.Client.Files;

/// <summary>Tunables of a <see cref="MirrorClient"/>; the defaults suit a mount or a CLI run.</summary>
public sealed record MirrorClientOptions
{
    /// <summary>Identifies this client to the MDS and OSTs (Lustre's client uuid); a fresh one per client by default.</summary>
    public string ClientUuid { get; init; } = Guid.NewGuid().ToString();

    /// <summary>Tells the MDS this client understands IWM epochs (IWM §2.4.6 folds epochs up for clients that do not).</summary>
    public bool IwmAware { get; init; } = true;

    /// <summary>Write-behind window: OST writes a handle keeps in flight before a write waits.</summary>
    public int MaxWritesInFlight { get; init; } = 8;

    /// <summary>A handle reports its size to the MDS when it grew by this much since the last report (besides fsync/close).</summary>
    public ulong SizeUpdateBytes { get; init; } = 64UL * 1024 * 1024;

    /// <summary>How long a mirror that failed a read stays at the back of the read order.</summary>
    public TimeSpan ReadFailoverPenalty { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Bytes of the per-handle read cache (the last chunk read; IWM §2.2.7.3); 0 = none.</summary>
    public int ReadCacheBytes { get; init; } = 1024 * 1024;

    /// <summary>Immediate Write Mirroring tunables (AW idle release, commit on epoch close, secondary fast-fail).</summary>
    public IwmOptions Iwm { get; init; } = new();

    /// <summary>Start the lease keeper (pings, Callbacks stream) at connect; IWM-aware clients only.</summary>
    public bool KeepLease { get; init; } = true;

    public MdsClientOptions Mds { get; init; } = new();

    public OstTargetOptions Ost { get; init; } = new();

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Opens the connection to an MDS or OST address (the real Rpc channel unless a test supplies one).</summary>
    public Func<string, string?, IRpcInvoker> Connect { get; init; } = RpcChannelInvoker.ForAddress;
}
