namespace Mirror.Core.Layouts;

/// <summary>
/// Per-mirror flags of a composite layout (Lustre's lcme_flags, applied to every component of a mirror).
/// The numeric values are part of the wire protocol (mds.proto carries them as a bit set).
/// </summary>
[Flags]
public enum MirrorFlags : uint
{
    None = 0,

    /// <summary>Preferred for reads, and chosen as the primary (write leader) when in sync.</summary>
    Prefer = 1 << 0,

    /// <summary>May have missed a modification; never read; only a resync clears it.</summary>
    Stale = 1 << 1,

    /// <summary>IWM: a secondary being written in an open epoch; never read (IWM §2.4.1).</summary>
    Inflight = 1 << 2,

    /// <summary>IWM: written at the moment of every modification (IWM §1.2, §4.2).</summary>
    Immediate = 1 << 3,

    /// <summary>Not resynced automatically (a frozen snapshot mirror).</summary>
    NoSync = 1 << 4,
}

public static class MirrorFlagNames
{
    private static readonly (MirrorFlags Flag, string Name)[] Names =
    [
        (MirrorFlags.Prefer, "prefer"),
        (MirrorFlags.Stale, "stale"),
        (MirrorFlags.Inflight, "inflight"),
        (MirrorFlags.Immediate, "immediate"),
        (MirrorFlags.NoSync, "nosync"),
    ];

    /// <summary>Comma-separated lower-case names, as <c>lfs getstripe</c> prints them ("0" for none).</summary>
    public static string Format(MirrorFlags flags)
    {
        if (flags == MirrorFlags.None)
        {
            return "0";
        }

        return string.Join(',', Names.Where(n => flags.HasFlag(n.Flag)).Select(n => n.Name));
    }

    /// <summary>Parses <c>prefer,immediate</c>; throws with the offending word on an unknown flag.</summary>
    public static MirrorFlags Parse(string text)
    {
        var flags = MirrorFlags.None;
        foreach (var word in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = Names.FirstOrDefault(n => string.Equals(n.Name, word, StringComparison.OrdinalIgnoreCase));
            if (match.Name is null)
            {
                throw new FormatException($"unknown mirror flag '{word}' (known: {string.Join(", ", Names.Select(n => n.Name))})");
            }

            flags |= match.Flag;
        }

        return flags;
    }
}
