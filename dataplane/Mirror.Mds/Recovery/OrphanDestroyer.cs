using Microsoft.Extensions.Logging;
using Mirror.Mds.Layouts;
using Mirror.Mds.Store;

namespace Mirror.Mds.Recovery;

/// <summary>Destroys one stripe object on the OST at <c>address</c>; a missing object counts as destroyed.</summary>
public delegate Task DestroyObject(string address, OrphanObject orphan, CancellationToken cancellationToken);

/// <summary>
/// Destroys the OST objects of unlinked files and destroyed mirrors. The orphans table is written in the same
/// transaction as the unlink, so after a crash the work is found again at start (this is its recovery side);
/// a row is deleted only after its OST confirmed. While an OST is down or unregistered its orphans wait and
/// are retried every <see cref="RetryDelay"/>. Objects are destroyed one by one (OstMethods.Destroy), not per
/// file, because a file's fid may still name objects that another file now uses (split, extend -f, swap).
/// </summary>
public sealed class OrphanDestroyer : IAsyncDisposable
{
    private readonly MdsModel model;
    private readonly OstRegistry registry;
    private readonly DestroyObject destroy;
    private readonly ILogger logger;
    private readonly SemaphoreSlim wake = new(0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    /// <summary>
    /// Destroy calls outstanding per OST: enough to keep an OST busy between its fsyncs, few enough that background
    /// destroys do not crowd out the foreground's commits on a shared disk (measured: 8 per OST doubled the MDS's
    /// commit time during an unlink storm on the single-disk development machine).
    /// </summary>
    private const int InFlightPerOst = 2;

    public OrphanDestroyer(MdsModel model, OstRegistry registry, DestroyObject destroy, ILogger logger, TimeSpan retryDelay)
    {
        this.model = model;
        this.registry = registry;
        this.destroy = destroy;
        this.logger = logger;
        RetryDelay = retryDelay;
        model.OrphansQueued += Wake;
        loop = Task.Run(RunAsync);
    }

    public TimeSpan RetryDelay { get; }

    public void Wake() => wake.Release();

    public async ValueTask DisposeAsync()
    {
        model.OrphansQueued -= Wake;
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
        wake.Dispose();
    }

    private async Task RunAsync()
    {
        var ct = stop.Token;
        while (!ct.IsCancellationRequested)
        {
            var pending = await DestroyRoundAsync(ct).ConfigureAwait(false);
            if (pending)
            {
                await wake.WaitAsync(RetryDelay, ct).ConfigureAwait(false);
            }
            else
            {
                await wake.WaitAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Destroys <paramref name="orphans"/> on one OST, <see cref="InFlightPerOst"/> at a time (each Destroy waits for
    /// the OST's commit, so one at a time would leave the OST idle between fsyncs); stops at the first failure.
    /// </summary>
    private async Task<(List<long> Done, int Left)> DestroyOnAsync(string address, List<OrphanObject> orphans, CancellationToken ct)
    {
        var done = new List<long>();
        for (var i = 0; i < orphans.Count; i += InFlightPerOst)
        {
            var chunk = orphans.Skip(i).Take(InFlightPerOst).ToList();
            var results = await Task.WhenAll(chunk.Select(o => TryDestroyAsync(address, o, ct))).ConfigureAwait(false);
            done.AddRange(chunk.Where((_, k) => results[k]).Select(o => o.Id));
            if (results.Contains(false))
            {
                break;
            }
        }

        return (done, orphans.Count - done.Count);
    }

    private async Task<bool> TryDestroyAsync(string address, OrphanObject orphan, CancellationToken ct)
    {
        try
        {
            await destroy(address, orphan, ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.DestroyFailed(orphan.Object.Fid, orphan.Object.ComponentId, orphan.Stripe, orphan.Ost, e.Message);
            return false;
        }
    }

    /// <summary>Tries every orphan once; true when some remain.</summary>
    private async Task<bool> DestroyRoundAsync(CancellationToken ct)
    {
        var work = model.Read(() => model.Orphans.Values
            .Select(o => (Orphan: o, Ost: model.Osts.GetValueOrDefault((uint)o.Ost)))
            .ToList());
        if (work.Count == 0)
        {
            return false;
        }

        var remaining = 0;
        var rounds = new List<Task<(List<long> Done, int Left)>>();
        foreach (var group in work.GroupBy(w => w.Orphan.Ost))
        {
            var ost = group.First().Ost;
            if (ost is null || !model.Read(() => registry.IsUp(ost)))
            {
                remaining += group.Count();
                continue;
            }

            rounds.Add(DestroyOnAsync(ost.Address, group.Select(g => g.Orphan).ToList(), ct));
        }

        var done = new List<long>();
        foreach (var (destroyed, left) in await Task.WhenAll(rounds).ConfigureAwait(false))
        {
            done.AddRange(destroyed);
            remaining += left;
        }

        if (done.Count > 0)
        {
            // No fsync of its own: the rows ride in the next batch. A crash before that batch leaves the rows,
            // and destroying again finds no object (ENOENT counts as destroyed), so nothing is lost.
            model.MutateLazily(m =>
            {
                foreach (var id in done)
                {
                    m.OrphanDestroyed(id);
                }
            });
        }

        return remaining > 0;
    }
}
