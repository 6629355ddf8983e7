using Mirror.Core.Layouts;

namespace Mirror.Mds.Layouts;

/// <summary>What a user asks for in one component (mds.proto ComponentSpec); the MDS picks OSTs and ids.</summary>
/// <param name="End">Extent end; <see cref="LayoutComponent.EndOfFile"/> (or 0 on the last component) = EOF.</param>
/// <param name="StripeCount">0 = 1, -1 = every OST of the pool; more than the pool has is capped (as lfs does).</param>
/// <param name="StripeSize">0 = 1 MiB.</param>
/// <param name="Pool">"" = any OST.</param>
/// <param name="Osts">Explicit OST indexes; empty = placement chooses.</param>
public sealed record ComponentRequest(ulong End, int StripeCount = 0, uint StripeSize = 0, string Pool = "", IReadOnlyList<int>? Osts = null);

public sealed record MirrorRequest(MirrorFlags Flags, IReadOnlyList<ComponentRequest> Components);

public static class LayoutDefaults
{
    public const uint StripeSize = 1024 * 1024;

    /// <summary>One mirror, one component [0, EOF), one stripe of 1 MiB, any pool.</summary>
    public static IReadOnlyList<MirrorRequest> Default { get; } =
        [new MirrorRequest(MirrorFlags.None, [new ComponentRequest(LayoutComponent.EndOfFile)])];
}
