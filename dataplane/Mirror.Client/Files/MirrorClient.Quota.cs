using System.Collections.Concurrent;
using Mirror.Core;

namespace Mirror.Client.Files;

/// <summary>
/// The client side of the volume quota grant (mds.proto ReserveSpaceRequest, like Lustre's quota acquire):
/// before a write that ends past what the MDS granted for the file, reserve up to the write's end; the MDS
/// answers ENOSPC (a <see cref="Core.Errors.MirrorException"/>) and charges nothing when the volume would
/// pass its capacity, so the write must not be sent. Grants are cached per file for the client's life: a
/// granted end never shrinks except by truncate, which the MDS accounts itself.
/// </summary>
public sealed partial class MirrorClient
{
    private readonly ConcurrentDictionary<Fid, ulong> grantedEnds = new();

    /// <summary>Reserves quota for a write ending at <paramref name="newEnd"/>; no RPC when already granted (or unlimited).</summary>
    public async ValueTask ReserveAsync(Fid fid, ulong newEnd, CancellationToken ct = default)
    {
        if (grantedEnds.TryGetValue(fid, out var granted) && newEnd <= granted)
        {
            return;
        }

        var reply = await Mds.ReserveSpaceAsync(fid, newEnd, ct);
        var end = reply.Unlimited ? ulong.MaxValue : reply.GrantedEnd;
        grantedEnds.AddOrUpdate(fid, end, (_, old) => Math.Max(old, end));
    }

    /// <summary>Forgets the cached grant of <paramref name="fid"/> (after a truncate or an unlink through this client).</summary>
    public void ForgetGrant(Fid fid) => grantedEnds.TryRemove(fid, out _);
}
