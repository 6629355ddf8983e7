using Mirror.Core.Layouts;

namespace Mirror.Client.Tests.Fakes;

/// <summary>Layouts for tests: plain, PFL and heterogeneous mirrors over OST indexes.</summary>
internal static class Layouts
{
    public const uint K64 = 64 * 1024;
    public const uint M1 = 1024 * 1024;

    private static uint nextComponentId = 1;

    public static LayoutComponent Component(ulong start, ulong end, uint stripeSize, params int[] osts) => new()
    {
        Id = Interlocked.Increment(ref nextComponentId),
        Start = start,
        End = end,
        StripeCount = (uint)osts.Length,
        StripeSize = stripeSize,
        Osts = osts,
    };

    public static LayoutMirror Mirror(ushort id, MirrorFlags flags, params LayoutComponent[] components) =>
        new() { Id = id, Flags = flags, Components = components };

    public static LayoutMirror Plain(ushort id, uint stripeSize, params int[] osts) =>
        Mirror(id, MirrorFlags.None, Component(0, LayoutComponent.EndOfFile, stripeSize, osts));

    /// <summary>PFL: [0, 4 MiB) one stripe of 1 MiB, [4, 16 MiB) two stripes of 256 KiB, [16 MiB, EOF) three of 4 MiB.</summary>
    public static LayoutMirror Pfl(ushort id, int firstOst) => Mirror(
        id,
        MirrorFlags.None,
        Component(0, 4 * M1, M1, firstOst),
        Component(4 * M1, 16 * M1, 4 * K64, firstOst + 1, firstOst + 2),
        Component(16 * M1, LayoutComponent.EndOfFile, 4 * M1, firstOst, firstOst + 1, firstOst + 2));

    public static FileLayout Of(params LayoutMirror[] mirrors) => new() { Generation = 1, Mirrors = mirrors };
}
