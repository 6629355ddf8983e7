namespace Mirror.Mds.Layouts;

/// <summary>An OST placement may use: up, and in the component's pool.</summary>
public sealed record OstCandidate(int Index, string FailureDomain, ulong TotalBytes, ulong FreeBytes);

/// <summary>The OSTs chosen for one component, and whether some had to be shared with another mirror.</summary>
public sealed record PlacementResult(IReadOnlyList<int> Osts, bool ReusedOst, bool ReusedFailureDomain);

/// <summary>
/// Chooses OSTs for a component (Lustre lod_qos, simplified). Pure and deterministic given its inputs.
/// Order of preference for each stripe, most important first (flr-overview: fault domain separation):
/// 1. an OST no other mirror of the file uses, 2. in a failure domain no other mirror uses, 3. in a failure
/// domain this component does not use yet, 4. more free space (in tenths of capacity, so similar OSTs
/// tie), 5. round robin from <c>cursor</c>. When the pool is too small, mirrors share OSTs (reported in the result).
/// </summary>
public static class Placement
{
    public static PlacementResult Choose(
        IReadOnlyList<OstCandidate> candidates,
        int stripeCount,
        IReadOnlySet<int> otherMirrorOsts,
        IReadOnlySet<string> otherMirrorDomains,
        ulong cursor)
    {
        var ordered = candidates.OrderBy(c => c.Index).ToList();
        if (ordered.Count == 0 || stripeCount <= 0)
        {
            return new PlacementResult([], false, false);
        }

        var count = Math.Min(stripeCount, ordered.Count);
        var start = (int)(cursor % (ulong)ordered.Count);
        var chosen = new List<int>(count);
        var usedHere = new HashSet<int>();
        var domainsHere = new HashSet<string>(StringComparer.Ordinal);
        bool reusedOst = false, reusedDomain = false;
        for (var stripe = 0; stripe < count; stripe++)
        {
            var best = ordered
                .Select((c, position) => (Candidate: c, Rotation: (position - start + ordered.Count) % ordered.Count))
                .Where(x => !usedHere.Contains(x.Candidate.Index))
                .OrderBy(x => otherMirrorOsts.Contains(x.Candidate.Index) ? 1 : 0)
                .ThenBy(x => otherMirrorDomains.Contains(x.Candidate.FailureDomain) ? 1 : 0)
                .ThenBy(x => domainsHere.Contains(x.Candidate.FailureDomain) ? 1 : 0)
                .ThenByDescending(x => FreeTenths(x.Candidate))
                .ThenBy(x => x.Rotation)
                .First().Candidate;
            chosen.Add(best.Index);
            usedHere.Add(best.Index);
            domainsHere.Add(best.FailureDomain);
            reusedOst |= otherMirrorOsts.Contains(best.Index);
            reusedDomain |= otherMirrorDomains.Contains(best.FailureDomain);
        }

        return new PlacementResult(chosen, reusedOst, reusedDomain);
    }

    private static ulong FreeTenths(OstCandidate c) => c.TotalBytes == 0 ? 0 : (ulong)((double)c.FreeBytes / c.TotalBytes * 10);
}
