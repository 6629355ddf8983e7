using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Mirror.Core;
using Mirror.Mds.Layouts;
using Mirror.Mds.Store;

namespace Mirror.Mds.Epochs;

/// <summary>Raises the layout generation of <paramref name="objects"/> on the OST at <paramref name="address"/> (ost.proto Fence).</summary>
public delegate Task FenceObjects(string address, IReadOnlyList<(ObjectRef Object, int Stripe)> objects, uint generation, CancellationToken cancellationToken);

/// <summary>
/// Fencing of an evicted writer before its epoch close is final (IWM §2.2.6, §2.4.3; our equivalent of the
/// OST LCK_PW extent lock): every object of every mirror, on every OST, gets the close generation as its
/// minimum, so writes the evicted client still has in flight with its old layout are refused (ESTALE) and
/// cannot land after the close — on the primary after a resync copied it, say.
///
/// An OST that stays unreachable for <see cref="Budget"/> (retried with back-off) cannot be fenced: the
/// mirrors with an object there are returned as errored, so the close makes them STALE (a late write may
/// still land on them when the OST comes back; a STALE mirror is never read and resync rewrites it with a
/// newer generation, which fences it then). If that includes the primary the file may end all-STALE.
/// </summary>
public sealed class EpochFence(MdsModel model, FenceObjects fence, TimeSpan budget, ILogger logger)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);

    public TimeSpan Budget { get; } = budget;

    /// <summary>Fences every object of <paramref name="fid"/> at its current generation + 1 (the close's); returns the LVB positions of mirrors that could not be fenced.</summary>
    public async Task<ushort> FenceAsync(Fid fid, CancellationToken cancellationToken)
    {
        var plan = model.Read(() =>
        {
            if (!model.Inodes.TryGetValue(fid, out var inode) || inode.Layout is not { } stored)
            {
                return null;
            }

            return new
            {
                stored.Layout,
                Generation = stored.Layout.Generation + 1,
                ByOst = stored.Objects(fid).GroupBy(o => o.Ost).ToDictionary(g => g.Key, g => g.Select(o => (o.Object, o.Stripe)).ToList()),
            };
        });
        if (plan is null)
        {
            return 0;
        }

        var unfenced = new ConcurrentBag<int>();
        await Task.WhenAll(plan.ByOst.Select(async ost =>
        {
            if (!await FenceOstAsync(fid, ost.Key, ost.Value, plan.Generation, cancellationToken).ConfigureAwait(false))
            {
                unfenced.Add(ost.Key);
            }
        })).ConfigureAwait(false);

        ushort mask = 0;
        for (var position = 0; position < plan.Layout.Mirrors.Count && position < 16; position++)
        {
            if (plan.Layout.Mirrors[position].Components.Any(c => c.Osts.Any(o => unfenced.Contains((int)o))))
            {
                mask |= (ushort)(1 << position);
            }
        }

        return mask;
    }

    private async Task<bool> FenceOstAsync(Fid fid, int ost, IReadOnlyList<(ObjectRef Object, int Stripe)> objects, uint generation, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + Budget;
        var delay = FirstRetry;
        for (var attempt = 1; ; attempt++)
        {
            // The address is read again on every attempt: a restarted OST registers its (maybe new) address.
            var address = model.Read(() => model.Osts.TryGetValue((uint)ost, out var record) ? record.Address : null);
            try
            {
                if (address is null)
                {
                    throw new InvalidOperationException($"OST{ost} is not registered");
                }

                await fence(address, objects, generation, cancellationToken).ConfigureAwait(false);
                logger.Fenced(fid, ost, objects.Count, generation);
                return true;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (DateTime.UtcNow + delay >= deadline)
                {
                    logger.FenceFailed(fid, ost, attempt, e.Message);
                    return false;
                }
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }
}
