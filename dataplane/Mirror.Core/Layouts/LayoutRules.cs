using Mirror.Core.Errors;

namespace Mirror.Core.Layouts;

/// <summary>The structural rules every stored layout obeys. Violations are EINVAL with a message naming the rule.</summary>
public static class LayoutRules
{
    /// <summary>Stripe sizes and component boundaries are multiples of this (Lustre LOV_MIN_STRIPE_SIZE).</summary>
    public const uint StripeAlignment = 64 * 1024;

    public const uint MaxStripeSize = 1u << 30;

    public const uint MaxStripeCount = 2000;

    public static void Validate(FileLayout layout)
    {
        if (layout.Mirrors.Count == 0)
        {
            throw new MirrorException(Errno.EINVAL, "a layout needs at least one mirror");
        }

        if (layout.Mirrors.Count > FileLayout.MaxMirrors)
        {
            throw new MirrorException(Errno.EINVAL, $"a file has at most {FileLayout.MaxMirrors} mirrors, this layout has {layout.Mirrors.Count}");
        }

        if (layout.Mirrors.Select(m => m.Id).Distinct().Count() != layout.Mirrors.Count)
        {
            throw new MirrorException(Errno.EINVAL, "mirror ids must be unique");
        }

        var componentIds = new HashSet<uint>();
        foreach (var mirror in layout.Mirrors)
        {
            ValidateMirror(mirror);
            foreach (var c in mirror.Components)
            {
                if (!componentIds.Add(c.Id))
                {
                    throw new MirrorException(Errno.EINVAL, $"component id {c.Id} is used twice");
                }
            }
        }
    }

    public static void ValidateMirror(LayoutMirror mirror)
    {
        if (mirror.Id == 0)
        {
            throw new MirrorException(Errno.EINVAL, "mirror ids start at 1");
        }

        if (mirror.Components.Count == 0)
        {
            throw new MirrorException(Errno.EINVAL, $"mirror {mirror.Id} has no component");
        }

        ulong expectedStart = 0;
        foreach (var c in mirror.Components)
        {
            if (c.Start != expectedStart)
            {
                throw new MirrorException(Errno.EINVAL,
                    c.Start < expectedStart
                        ? $"mirror {mirror.Id}: component extents overlap at {c.Start} (previous component ends at {expectedStart})"
                        : $"mirror {mirror.Id}: gap between extents {expectedStart} and {c.Start}");
            }

            if (c.End <= c.Start)
            {
                throw new MirrorException(Errno.EINVAL, $"mirror {mirror.Id}: component end {c.FormatEnd()} is not after its start {c.Start}");
            }

            if (c.End != LayoutComponent.EndOfFile && c.End % StripeAlignment != 0)
            {
                throw new MirrorException(Errno.EINVAL, $"mirror {mirror.Id}: extent end {c.End} is not a multiple of 64 KiB");
            }

            ValidateStriping(c.StripeSize, c.StripeCount);
            if (c.Osts.Count != 0 && c.Osts.Count != c.StripeCount)
            {
                throw new MirrorException(Errno.EINVAL, $"component {c.Id}: {c.Osts.Count} OSTs for {c.StripeCount} stripes");
            }

            expectedStart = c.End;
        }

        if (expectedStart != LayoutComponent.EndOfFile)
        {
            throw new MirrorException(Errno.EINVAL, $"mirror {mirror.Id}: the last component must extend to EOF (ends at {expectedStart})");
        }
    }

    public static void ValidateStriping(uint stripeSize, uint stripeCount)
    {
        if (stripeSize == 0 || stripeSize % StripeAlignment != 0 || stripeSize > MaxStripeSize)
        {
            throw new MirrorException(Errno.EINVAL, $"stripe size {stripeSize} must be a multiple of 64 KiB and at most 1 GiB");
        }

        if (stripeCount == 0 || stripeCount > MaxStripeCount)
        {
            throw new MirrorException(Errno.EINVAL, $"stripe count {stripeCount} must be between 1 and {MaxStripeCount}");
        }
    }
}
