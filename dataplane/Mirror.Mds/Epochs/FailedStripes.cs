using Mirror.Core.Errors;
using Mirror.Core.Iwm;
using Mirror.Core.Layouts;

namespace Mirror.Mds.Epochs;

/// <summary>
/// The per-stripe part of an epoch's error report (IWM §3.1) as the CL_MIRROR_STALE changelog detail shows
/// it: <c> failed_stripes=ID:S,S/N;ID:S/N</c> — per errored mirror (by id) the failed stripes, numbered across
/// the mirror's components in layout order, out of its N stripes. A mirror reported with every stripe
/// failed shows <c>all/N</c>. Resync still copies the whole mirror (per-stripe resync is future work).
/// </summary>
public static class FailedStripes
{
    public static string Describe(FileLayout layout, byte[]? stripeReport)
    {
        if (stripeReport is not { Length: > 0 })
        {
            return "";
        }

        MirrorErrorReport report;
        try
        {
            report = MirrorErrorReport.Decode(stripeReport);
        }
        catch (MirrorException)
        {
            return "";
        }

        var parts = new List<string>();
        foreach (var position in report.ErroredPositions.Where(p => p < layout.Mirrors.Count))
        {
            var mirror = layout.Mirrors[position];
            var count = Math.Max(1, mirror.Components.Sum(c => Math.Max(1, c.Osts.Count)));
            var stripes = report.ErroredStripes(position);
            if (stripes.Count == 0)
            {
                continue;
            }

            var list = stripes.Count >= count ? "all" : string.Join(',', stripes);
            parts.Add($"{mirror.Id}:{list}/{count}");
        }

        return parts.Count == 0 ? "" : " failed_stripes=" + string.Join(';', parts);
    }
}
