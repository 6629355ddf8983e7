using Mirror.Core.Layouts;

namespace Mirror.Client.Mirrors;

/// <summary>
/// Stripe numbering for the per-stripe error report (IWM §3.1 v2 LVB): a mirror's stripes are numbered
/// across its components in layout order (component 0's stripes first), so a PFL mirror reports one
/// stripe count, the sum of its components' stripe counts.
/// </summary>
public static class MirrorStripes
{
    public static int Count(LayoutMirror mirror) => Math.Max(1, mirror.Components.Sum(c => Math.Max(1, c.Osts.Count)));

    public static int Index(LayoutMirror mirror, LayoutComponent component, int stripe)
    {
        var before = 0;
        foreach (var c in mirror.Components)
        {
            if (c.Id == component.Id)
            {
                return before + stripe;
            }

            before += Math.Max(1, c.Osts.Count);
        }

        return -1;
    }
}
