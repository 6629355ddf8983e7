using Mirror.Core.Layouts;

namespace Mirror.Client.Mirrors;

/// <summary>
/// Maps a file range onto one mirror's components and stripes (Lustre lov_stripe_offset), each mirror
/// with its own geometry. Pieces are additionally cut at <see cref="MaxRpcBytes"/> so a huge stripe
/// size never makes a huge RPC.
/// </summary>
public static class MirrorMapping
{
    /// <summary>The largest read or write a single OST call carries.</summary>
    public const int MaxRpcBytes = 4 * 1024 * 1024;

    /// <summary>The stripe pieces of [offset, offset+length) on <paramref name="mirror"/>, in file order, covering it exactly.</summary>
    public static IEnumerable<StripePiece> Pieces(LayoutMirror mirror, ulong offset, long length, int maxPieceBytes = MaxRpcBytes)
    {
        foreach (var piece in StripeMath.Pieces(mirror, offset, length))
        {
            if (piece.Length <= maxPieceBytes)
            {
                yield return piece;
                continue;
            }

            for (var done = 0; done < piece.Length; done += maxPieceBytes)
            {
                var n = Math.Min(maxPieceBytes, piece.Length - done);
                yield return piece with { ObjectOffset = piece.ObjectOffset + (ulong)done, FileOffset = piece.FileOffset + (ulong)done, Length = n };
            }
        }
    }

    /// <summary>
    /// The size of every stripe object of a mirror for a file of <paramref name="fileSize"/> bytes
    /// (truncate fan-out, IWM §2.3.2.2: the same file size maps to different object sizes per geometry).
    /// </summary>
    public static IEnumerable<(LayoutComponent Component, int StripeIndex, ulong ObjectSize)> ObjectSizes(LayoutMirror mirror, ulong fileSize)
    {
        foreach (var component in mirror.Components)
        {
            for (var stripe = 0; stripe < component.Osts.Count; stripe++)
            {
                yield return (component, stripe, StripeMath.ObjectSizeFor(component, stripe, fileSize));
            }
        }
    }
}
