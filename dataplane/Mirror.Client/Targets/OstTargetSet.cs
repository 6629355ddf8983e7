using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Mirror.Client.Metadata;

namespace Mirror.Client.Targets;

/// <summary>
/// The client's OST connections by index, created on first use from the MDS's OST registry
/// (<see cref="MdsClient.ListOstsAsync"/>). The registry is re-read when a target asks for a fresh
/// address: at most once per <see cref="RefreshInterval"/> so many failing calls cost one MDS call, except
/// when the cache still names the very address that failed (then it may predate a restart on a new port).
/// </summary>
public sealed class OstTargetSet : IOstTargetSet, IDisposable
{
    private readonly MdsClient mds;
    private readonly Func<string, IRpcInvoker> connect;
    private readonly Func<string, IRpcInvoker>? connectBulk;
    private readonly string clientUuid;
    private readonly OstTargetOptions options;
    private readonly ILogger? logger;
    private readonly ConcurrentDictionary<int, OstTarget> targets = new();
    private readonly SemaphoreSlim refreshLock = new(1, 1);
    private Dictionary<int, string> addresses = [];
    private DateTime refreshedAt = DateTime.MinValue;

    /// <param name="connectBulk">Opens an OST's bulk data channel (Write/Read); null = gRPC only.</param>
    public OstTargetSet(MdsClient mds, Func<string, IRpcInvoker> connect, string clientUuid, OstTargetOptions? options = null, ILogger? logger = null, Func<string, IRpcInvoker>? connectBulk = null)
    {
        this.mds = mds;
        this.connect = connect;
        this.connectBulk = connectBulk;
        this.clientUuid = clientUuid;
        this.options = options ?? new OstTargetOptions();
        this.logger = logger;
    }

    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    public IReadOnlyCollection<OstTarget> Connected => targets.Values.ToArray();

    public IOstTarget Get(int ostIndex) => targets.GetOrAdd(ostIndex, i =>
    {
        addresses.TryGetValue(i, out var address);
        return new OstTarget(i, address, ResolveAsync, connect, clientUuid, options, logger, connectBulk);
    });

    /// <summary>Reads the registry now (at connect time, so first calls need no extra round trip).</summary>
    public async Task RefreshAsync(CancellationToken ct = default)
    {
        var osts = await mds.ListOstsAsync(ct);
        addresses = osts.ToDictionary(o => (int)o.Index, o => o.Address);
        refreshedAt = DateTime.UtcNow;
    }

    /// <summary>Syncs every OST this client holds uncommitted writes on ("is everything I wrote committed?").</summary>
    public Task SyncIfNeededAsync(CancellationToken ct = default) =>
        Task.WhenAll(targets.Values.Select(t => t.SyncIfNeededAsync(ct)));

    public void Dispose()
    {
        foreach (var t in targets.Values)
        {
            t.Dispose();
        }

        refreshLock.Dispose();
    }

    private async Task<string?> ResolveAsync(int index, CancellationToken ct)
    {
        await refreshLock.WaitAsync(ct);
        try
        {
            // A target asks because its address failed. If the cached registry still names that address, it
            // may predate the OST's restart on a new port (a refresh less than RefreshInterval ago), so re-read
            // it; the interval still bounds refreshes for callers the cache can already answer differently.
            var failing = targets.TryGetValue(index, out var target) ? target.Address : null;
            var stale = failing is not null && addresses.GetValueOrDefault(index) == failing;
            if (stale || DateTime.UtcNow - refreshedAt >= RefreshInterval)
            {
                await RefreshAsync(ct);
            }

            return addresses.GetValueOrDefault(index);
        }
        finally
        {
            refreshLock.Release();
        }
    }
}
