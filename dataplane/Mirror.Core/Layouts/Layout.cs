namespace Mirror.Core.Layouts;

/// <summary>
/// One component of a mirror: the extent [Start, End) of the file it stores, and how (stripes over OSTs).
/// Stripe arithmetic uses absolute file offsets, as Lustre's lov does, so objects of a later PFL
/// component are sparse below the component start.
/// </summary>
public sealed record LayoutComponent
{
    /// <summary>End value meaning "to end of file".</summary>
    public const ulong EndOfFile = ulong.MaxValue;

    /// <summary>Unique within the file; names this component's objects on the OSTs.</summary>
    public required uint Id { get; init; }

    public required ulong Start { get; init; }

    public required ulong End { get; init; }

    public required uint StripeCount { get; init; }

    public required uint StripeSize { get; init; }

    /// <summary>The FLR pool the OSTs were chosen from ("" = any).</summary>
    public string Pool { get; init; } = "";

    /// <summary>OST index of each stripe object, in stripe order (length = StripeCount).</summary>
    public IReadOnlyList<int> Osts { get; init; } = [];

    public GeometryKind Geometry { get; init; } = GeometryKind.Plain;

    /// <summary>Parity stripes for XOR (1) and EC (K); 0 for plain.</summary>
    public uint ParityCount { get; init; }

    /// <summary>
    /// Whose stripe objects these are when they are not the file's own (a mirror taken from a victim file,
    /// detached by split, or swapped in): objects are named (ObjectFid, ObjectComponentId, stripe).
    /// Zero = the file's own FID (mds.proto Component.object_fid).
    /// </summary>
    public Fid ObjectFid { get; init; }

    /// <summary>The component id the stripe objects are named with; 0 = <see cref="Id"/>.</summary>
    public uint ObjectComponentId { get; init; }

    public bool Contains(ulong offset) => offset >= Start && offset < End;

    public string FormatEnd() => End == EndOfFile ? "EOF" : End.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A mirror: a full copy of the file, made of non-overlapping components covering [0, EOF).</summary>
public sealed record LayoutMirror
{
    /// <summary>1-based, unique within the file, never reused while the file lives.</summary>
    public required ushort Id { get; init; }

    public MirrorFlags Flags { get; init; }

    public required IReadOnlyList<LayoutComponent> Components { get; init; }

    public bool IsStale => Flags.HasFlag(MirrorFlags.Stale);

    public bool IsInflight => Flags.HasFlag(MirrorFlags.Inflight);

    public bool IsImmediate => Flags.HasFlag(MirrorFlags.Immediate);

    /// <summary>Readable: neither STALE nor INFLIGHT (ARCHITECTURE §4 invariants 1 and 3).</summary>
    public bool IsReadable => !IsStale && !IsInflight;

    /// <summary>Every OST index this mirror stores data on.</summary>
    public IEnumerable<int> OstIndexes => Components.SelectMany(c => c.Osts).Distinct();

    public LayoutComponent? ComponentAt(ulong offset) => Components.FirstOrDefault(c => c.Contains(offset));
}

/// <summary>
/// A composite (FLR) layout: generation, file FLR state, up to <see cref="MaxMirrors"/> mirrors.
/// Immutable: every change makes a new layout with a higher generation (invariant 7).
/// </summary>
public sealed record FileLayout
{
    public const int MaxMirrors = 16;

    public required uint Generation { get; init; }

    public FlrState State { get; init; } = FlrState.ReadOnly;

    public required IReadOnlyList<LayoutMirror> Mirrors { get; init; }

    /// <summary>True when the last generation bump changed flags only (IWM §2.2.7.3 STATE_ONLY_CHANGE).</summary>
    public bool StateOnlyChange { get; init; }

    public bool IsMirrored => Mirrors.Count > 1;

    public LayoutMirror? Mirror(ushort id) => Mirrors.FirstOrDefault(m => m.Id == id);

    /// <summary>
    /// The mirror that reads go to and delayed writes land on: a readable PREFER mirror first, then the
    /// lowest-id readable one. Null when no mirror is readable.
    /// </summary>
    public LayoutMirror? PrimaryMirror() =>
        Mirrors.Where(m => m.IsReadable).OrderByDescending(m => m.Flags.HasFlag(MirrorFlags.Prefer)).ThenBy(m => m.Id).FirstOrDefault();

    public ushort NextMirrorId() => (ushort)(Mirrors.Count == 0 ? 1 : Mirrors.Max(m => m.Id) + 1);

    public uint NextComponentId() => Mirrors.Count == 0 ? 1 : Mirrors.SelectMany(m => m.Components).Max(c => c.Id) + 1;
}
