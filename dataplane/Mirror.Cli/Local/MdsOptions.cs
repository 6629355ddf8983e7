using System.Globalization;

namespace Mirror.Cli.Local;

/// <summary>
/// The `mirrord mds` options `local up` passes through (IWM timeouts, same spellings and lower bounds as
/// mirrord's MdsRole): validated here, so a bad value is a usage error before anything starts.
/// </summary>
internal static class MdsOptions
{
    private static readonly (string Name, int Min)[] Known =
    [
        ("--client-lease-ms", 100),
        ("--lock-callback-timeout-ms", 10),
        ("--recovery-window-ms", 0),
    ];

    public static IReadOnlyCollection<string> Names { get; } = Known.Select(k => k.Name).ToArray();

    /// <summary>The given options as mirrord arguments (name, value), in a fixed order.</summary>
    public static List<string> From(LocalArgs args)
    {
        var result = new List<string>();
        foreach (var (name, min) in Known)
        {
            if (args.Has(name))
            {
                result.AddRange([name, args.Int(name, 0, min, int.MaxValue).ToString(CultureInfo.InvariantCulture)]);
            }
        }

        return result;
    }

    /// <summary><paramref name="recorded"/> with every option named in <paramref name="given"/> replaced by its new value.</summary>
    public static List<string> Merge(List<string> recorded, List<string> given)
    {
        var merged = new List<string>();
        for (var i = 0; i + 1 < recorded.Count; i += 2)
        {
            if (!given.Contains(recorded[i]))
            {
                merged.AddRange([recorded[i], recorded[i + 1]]);
            }
        }

        merged.AddRange(given);
        return merged;
    }
}
