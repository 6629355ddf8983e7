namespace Mirror.Core.Layouts;

/// <summary>How a component spreads data over its stripes. Values are part of the wire protocol.</summary>
public enum GeometryKind
{
    /// <summary>RAID-0 striping: stripe i holds every stripe_count-th stripe_size chunk.</summary>
    Plain = 0,

    /// <summary>N data stripes + 1 XOR parity stripe (LizardFS $xorN).</summary>
    Xor = 1,

    /// <summary>M data + K parity stripes (LizardFS $ec(M,K)).</summary>
    ErasureCoded = 2,
}
