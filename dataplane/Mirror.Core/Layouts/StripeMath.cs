namespace Mirror.Core.Layouts;

/// <summary>One contiguous piece of a file range that lives in a single stripe object.</summary>
/// <param name="Component">The component the piece belongs to.</param>
/// <param name="StripeIndex">Stripe (object) index within the component.</param>
/// <param name="ObjectOffset">Offset inside that object.</param>
/// <param name="FileOffset">Offset in the file.</param>
/// <param name="Length">Bytes in the piece.</param>
public readonly record struct StripePiece(LayoutComponent Component, int StripeIndex, ulong ObjectOffset, ulong FileOffset, int Length)
{
    public int OstIndex => Component.Osts[StripeIndex];
}

/// <summary>RAID-0 stripe arithmetic over absolute file offsets (Lustre lov_stripe_offset).</summary>
public static class StripeMath
{
    /// <summary>Maps a file offset in a plain component to (stripe index, object offset).</summary>
    public static (int StripeIndex, ulong ObjectOffset) Map(LayoutComponent component, ulong fileOffset)
    {
        ulong size = component.StripeSize;
        ulong count = component.StripeCount;
        var chunk = fileOffset / size;
        var stripe = (int)(chunk % count);
        var objectOffset = (chunk / count * size) + (fileOffset % size);
        return (stripe, objectOffset);
    }

    /// <summary>Inverse of <see cref="Map"/>: the file offset of an object offset in a stripe.</summary>
    public static ulong FileOffsetOf(LayoutComponent component, int stripeIndex, ulong objectOffset)
    {
        ulong size = component.StripeSize;
        var row = objectOffset / size;
        return (row * component.StripeCount * size) + ((ulong)stripeIndex * size) + (objectOffset % size);
    }

    /// <summary>
    /// Splits [offset, offset+length) of a mirror into stripe pieces, in file order. Ranges past the
    /// last component (which ends at EOF) cannot exist in a valid layout.
    /// </summary>
    public static IEnumerable<StripePiece> Pieces(LayoutMirror mirror, ulong offset, long length)
    {
        var end = offset + (ulong)length;
        var position = offset;
        while (position < end)
        {
            var component = mirror.ComponentAt(position)
                ?? throw new InvalidOperationException($"mirror {mirror.Id} has no component at offset {position}");
            var (stripe, objectOffset) = Map(component, position);
            var toStripeEnd = component.StripeSize - (position % component.StripeSize);
            var toComponentEnd = component.End - position;
            var n = Math.Min(Math.Min(toStripeEnd, toComponentEnd), end - position);
            yield return new StripePiece(component, stripe, objectOffset, position, (int)n);
            position += n;
        }
    }

    /// <summary>
    /// The size a stripe object must have so that the file is exactly <paramref name="fileSize"/> bytes
    /// as far as this component is concerned (used by truncate fan-out).
    /// </summary>
    public static ulong ObjectSizeFor(LayoutComponent component, int stripeIndex, ulong fileSize)
    {
        var limit = Math.Min(fileSize, component.End);
        if (limit <= component.Start && component.Start != 0)
        {
            limit = component.Start;
        }

        if (limit == 0)
        {
            return 0;
        }

        // The last byte below the limit that falls in this stripe decides the object size.
        ulong size = component.StripeSize;
        ulong count = component.StripeCount;
        var lastChunk = (limit - 1) / size;
        var fullRows = lastChunk / count;
        var stripeOfLast = (int)(lastChunk % count);
        if (stripeIndex < stripeOfLast)
        {
            return (fullRows + 1) * size;
        }

        if (stripeIndex == stripeOfLast)
        {
            return (fullRows * size) + ((limit - 1) % size) + 1;
        }

        return fullRows * size;
    }
}
