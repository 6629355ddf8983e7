using Mirror.Core.Errors;
using Mirror.Mds.Store;

namespace Mirror.Mds.Layouts;

/// <summary>
/// The OST registry: who the OSTs are, where they listen, their pool, labels, failure domain and space.
/// RegisterOst is also the heartbeat; an OST not heard from for <see cref="DownAfter"/> is down for
/// placement. All reads and writes happen under <see cref="MdsModel.Sync"/>.
/// </summary>
public sealed class OstRegistry(MdsModel model, TimeSpan downAfter)
{
    public TimeSpan DownAfter { get; } = downAfter;

    public Task RegisterAsync(OstRecord incoming)
    {
        if (string.IsNullOrEmpty(incoming.Address))
        {
            throw new MirrorException(Errno.EINVAL, $"OST {incoming.Index} registered without an address");
        }

        // A heartbeat that only refreshes liveness and space needs no fsync of its own: it rides in the next batch
        // (a crash loses at most the last refresh, and the OST's next heartbeat brings it back).
        var heartbeat = false;
        model.MutateLazily(m =>
        {
            if (model.Osts.TryGetValue(incoming.Index, out var existing) && SameIdentity(existing, incoming))
            {
                heartbeat = true;
                m.SaveOst(incoming with { LastSeenNs = m.NowNs }, durable: true);
            }
        });
        return heartbeat ? Task.CompletedTask : model.MutateAsync(m =>
        {
            if (model.Osts.TryGetValue(incoming.Index, out var existing) && existing.Uuid != incoming.Uuid
                && existing.Uuid.Length > 0 && incoming.Uuid.Length > 0)
            {
                throw new MirrorException(Errno.EEXIST,
                    $"OST index {incoming.Index} is already registered by uuid {existing.Uuid}; uuid {incoming.Uuid} at {incoming.Address} claims it too");
            }

            m.SaveOst(incoming with { LastSeenNs = m.NowNs }, durable: true);
            return true;
        });
    }

    public bool IsUp(OstRecord ost) => model.NowNs() - ost.LastSeenNs <= DownAfter.Ticks * 100;

    private static bool SameIdentity(OstRecord a, OstRecord b) =>
        a.Address == b.Address && a.Pool == b.Pool && a.FailureDomain == b.FailureDomain && a.Uuid == b.Uuid
        && a.Labels.SequenceEqual(b.Labels);

    /// <summary>Registered OSTs in index order with their up state. Call under the model lock.</summary>
    public List<(OstRecord Ost, bool Up)> List() =>
        model.Osts.Values.OrderBy(o => o.Index).Select(o => (o, IsUp(o))).ToList();

    /// <summary>
    /// The OSTs placement may use for <paramref name="pool"/> ("" = any). Unknown pool or a pool with no OST
    /// up is EINVAL naming the pool. Call under the model lock.
    /// </summary>
    public List<OstCandidate> Candidates(string pool)
    {
        var inPool = model.Osts.Values.Where(o => pool.Length == 0 || o.Pool == pool).ToList();
        if (pool.Length > 0 && inPool.Count == 0)
        {
            throw new MirrorException(Errno.EINVAL, $"unknown pool '{pool}' (no OST is registered in it)");
        }

        var up = inPool.Where(IsUp).Select(ToCandidate).ToList();
        if (up.Count == 0)
        {
            throw pool.Length > 0
                ? new MirrorException(Errno.EINVAL, $"pool '{pool}' has no OST up")
                : new MirrorException(Errno.ENOSPC, "no OST is up to place a layout on");
        }

        return up;
    }

    public OstCandidate Require(int index) =>
        model.Osts.TryGetValue((uint)index, out var ost)
            ? ToCandidate(ost)
            : throw new MirrorException(Errno.EINVAL, $"OST {index} is not registered");

    /// <summary>An OST without a failure domain is its own failure domain.</summary>
    public string FailureDomainOf(int index) =>
        model.Osts.TryGetValue((uint)index, out var ost) ? DomainOf(ost) : $"ost{index}";

    private static OstCandidate ToCandidate(OstRecord o) => new((int)o.Index, DomainOf(o), o.TotalBytes, o.FreeBytes);

    private static string DomainOf(OstRecord o) => o.FailureDomain.Length > 0 ? o.FailureDomain : $"ost{o.Index}";
}
