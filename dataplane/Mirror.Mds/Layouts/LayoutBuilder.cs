using Microsoft.Extensions.Logging;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Mds.Store;

namespace Mirror.Mds.Layouts;

/// <summary>
/// Turns requested mirrors (a LayoutSpec) into placed <see cref="LayoutMirror"/>s: ids, extents, defaults,
/// stripe counts, and OSTs through <see cref="Placement"/>. Validates everything before placing, and changes
/// nothing in the model but the round-robin cursor. Call under the model lock.
/// </summary>
public sealed class LayoutBuilder(MdsModel model, OstRegistry registry)
{
    /// <summary>Flags a user may ask for; STALE and INFLIGHT belong to the MDS.</summary>
    private const MirrorFlags RequestableFlags = MirrorFlags.Prefer | MirrorFlags.NoSync | MirrorFlags.Immediate;

    /// <param name="requests">The new mirrors.</param>
    /// <param name="existing">The file's layout, if any: ids above its high-water marks, its OSTs avoided.</param>
    /// <param name="addFlags">Flags every new mirror gets (STALE for mirror extend).</param>
    public List<LayoutMirror> Build(Fid fid, IReadOnlyList<MirrorRequest> requests, StoredLayout? existingLayout, MirrorFlags addFlags)
    {
        var existing = existingLayout?.Layout.Mirrors ?? [];
        if (requests.Count == 0)
        {
            throw new MirrorException(Errno.EINVAL, "a layout spec needs at least one mirror");
        }

        if (existing.Count + requests.Count > FileLayout.MaxMirrors)
        {
            throw new MirrorException(Errno.EINVAL,
                $"a file has at most {FileLayout.MaxMirrors} mirrors; {fid} would have {existing.Count + requests.Count}");
        }

        var nextMirror = existingLayout?.NextMirrorId() ?? (ushort)1;
        var nextComponent = existingLayout?.NextComponentId() ?? 1u;
        var shaped = new List<(LayoutMirror Mirror, List<ComponentRequest> Requests)>();
        foreach (var request in requests)
        {
            var components = new List<LayoutComponent>();
            ulong start = 0;
            for (var i = 0; i < request.Components.Count; i++)
            {
                var c = request.Components[i];
                var end = c.End == 0 && i == request.Components.Count - 1 ? LayoutComponent.EndOfFile : c.End;
                var stripeSize = c.StripeSize == 0 ? LayoutDefaults.StripeSize : c.StripeSize;
                var explicitOsts = c.Osts ?? [];
                if (explicitOsts.Count > 0 && c.StripeCount > 0 && c.StripeCount != explicitOsts.Count)
                {
                    throw new MirrorException(Errno.EINVAL, $"stripe count {c.StripeCount} does not match the {explicitOsts.Count} OSTs given");
                }

                if (c.StripeCount < -1)
                {
                    throw new MirrorException(Errno.EINVAL, $"stripe count {c.StripeCount} is invalid (-1 = all OSTs of the pool)");
                }

                LayoutRules.ValidateStriping(stripeSize, 1);
                components.Add(new LayoutComponent
                {
                    Id = nextComponent++,
                    Start = start,
                    End = end,
                    StripeCount = 1,
                    StripeSize = stripeSize,
                    Pool = c.Pool,
                });
                start = end;
            }

            var mirror = new LayoutMirror { Id = nextMirror++, Flags = (request.Flags & RequestableFlags) | addFlags, Components = components };
            LayoutRules.ValidateMirror(mirror);
            shaped.Add((mirror, request.Components.ToList()));
        }

        // Every explicit OST must exist and every pool must be usable before anything is placed.
        foreach (var c in shaped.SelectMany(s => s.Requests))
        {
            foreach (var ost in c.Osts ?? [])
            {
                registry.Require(ost);
            }

            if ((c.Osts ?? []).Count == 0)
            {
                registry.Candidates(c.Pool);
            }
        }

        var usedOsts = existing.SelectMany(m => m.OstIndexes).ToHashSet();
        var usedDomains = usedOsts.Select(registry.FailureDomainOf).ToHashSet(StringComparer.Ordinal);
        var result = new List<LayoutMirror>();
        foreach (var (mirror, componentRequests) in shaped)
        {
            var placed = new List<LayoutComponent>();
            for (var i = 0; i < mirror.Components.Count; i++)
            {
                placed.Add(Place(fid, mirror.Id, mirror.Components[i], componentRequests[i], usedOsts, usedDomains));
            }

            var done = mirror with { Components = placed };
            LayoutRules.ValidateMirror(done);
            result.Add(done);
            foreach (var ost in done.OstIndexes)
            {
                usedOsts.Add(ost);
                usedDomains.Add(registry.FailureDomainOf(ost));
            }
        }

        return result;
    }

    private LayoutComponent Place(Fid fid, ushort mirrorId, LayoutComponent shape, ComponentRequest request, HashSet<int> usedOsts, HashSet<string> usedDomains)
    {
        var explicitOsts = request.Osts ?? [];
        if (explicitOsts.Count > 0)
        {
            LayoutRules.ValidateStriping(shape.StripeSize, (uint)explicitOsts.Count);
            return shape with { StripeCount = (uint)explicitOsts.Count, Osts = explicitOsts.ToArray() };
        }

        var candidates = registry.Candidates(request.Pool);
        var count = request.StripeCount switch
        {
            0 => 1,
            -1 => candidates.Count,
            var n => Math.Min(n, candidates.Count),
        };
        LayoutRules.ValidateStriping(shape.StripeSize, (uint)count);
        var placement = Placement.Choose(candidates, count, usedOsts, usedDomains, model.PlacementCursor++);
        if (placement.ReusedOst || placement.ReusedFailureDomain)
        {
            model.Logger.PlacementShares(fid, mirrorId, shape.Id, placement.ReusedOst ? "OSTs" : "failure domains", request.Pool);
        }

        return shape with { StripeCount = (uint)placement.Osts.Count, Osts = placement.Osts };
    }
}
