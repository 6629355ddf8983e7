using System.Globalization;
using Mirror.Core.Layouts;

namespace Mirror.Cli.Parsing;

/// <summary>Option values in lfs's spellings: sizes with k/m/g suffixes, stripe counts, mirror id lists.</summary>
public static class Values
{
    public const ulong Eof = LayoutComponent.EndOfFile;

    /// <summary>Parses 4M, 64k, 1G, 1048576 (binary units, as lfs does).</summary>
    public static bool TryParseSize(string text, out ulong bytes)
    {
        bytes = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        ulong multiplier = 1;
        var digits = text;
        switch (char.ToLowerInvariant(text[^1]))
        {
            case 'k': multiplier = 1UL << 10; digits = text[..^1]; break;
            case 'm': multiplier = 1UL << 20; digits = text[..^1]; break;
            case 'g': multiplier = 1UL << 30; digits = text[..^1]; break;
            case 't': multiplier = 1UL << 40; digits = text[..^1]; break;
        }

        if (!ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > ulong.MaxValue / multiplier)
        {
            return false;
        }

        bytes = n * multiplier;
        return true;
    }

    /// <summary>-S: a multiple of 64 KiB up to 1 GiB (0 = the default).</summary>
    public static uint StripeSize(string option, string text)
    {
        if (!TryParseSize(text, out var bytes))
        {
            throw new UsageException($"{option}: '{text}' is not a size (a number with an optional k, m or g suffix)");
        }

        if (bytes % LayoutRules.StripeAlignment != 0)
        {
            throw new UsageException($"{option}: '{text}' is not a multiple of 64 KiB");
        }

        if (bytes > LayoutRules.MaxStripeSize)
        {
            throw new UsageException($"{option}: '{text}' is larger than the largest stripe size, 1 GiB");
        }

        return (uint)bytes;
    }

    /// <summary>-c: a stripe count, -1 = every OST of the pool, 0 = the default.</summary>
    public static int StripeCount(string option, string text)
    {
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < -1)
        {
            throw new UsageException($"{option}: '{text}' is not a stripe count (a number, -1 = all OSTs)");
        }

        if (n > LayoutRules.MaxStripeCount)
        {
            throw new UsageException($"{option}: stripe count {n} is more than {LayoutRules.MaxStripeCount}");
        }

        return n;
    }

    /// <summary>-E: a component end, <c>eof</c> or <c>-1</c> for end of file; otherwise a multiple of 64 KiB.</summary>
    public static ulong ComponentEnd(string option, string text)
    {
        if (text is "-1" || text.Equals("eof", StringComparison.OrdinalIgnoreCase))
        {
            return Eof;
        }

        if (!TryParseSize(text, out var bytes))
        {
            throw new UsageException($"{option}: '{text}' is not a component end (a size like 4M, or eof)");
        }

        if (bytes == 0 || bytes % LayoutRules.StripeAlignment != 0)
        {
            throw new UsageException($"{option}: component end '{text}' is not a positive multiple of 64 KiB");
        }

        return bytes;
    }

    public static string FormatEnd(ulong end) => end == Eof ? "eof" : FormatSize(end);

    public static string FormatSize(ulong bytes) =>
        bytes != 0 && bytes % (1UL << 30) == 0 ? $"{bytes >> 30}G"
        : bytes != 0 && bytes % (1UL << 20) == 0 ? $"{bytes >> 20}M"
        : bytes != 0 && bytes % (1UL << 10) == 0 ? $"{bytes >> 10}K"
        : bytes.ToString(CultureInfo.InvariantCulture);

    public static ushort MirrorId(string option, string text)
    {
        if (!ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id == 0)
        {
            throw new UsageException($"{option}: '{text}' is not a mirror id (a number from 1)");
        }

        return id;
    }

    /// <summary>A comma-separated list of mirror ids (<c>--only 1,4</c>).</summary>
    public static ushort[] MirrorIds(string option, string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        return parts.Select(p => MirrorId(option, p)).Distinct().ToArray();
    }

    public static uint[] OstList(string option, string text) =>
        text.Split(',', StringSplitOptions.TrimEntries).Select(p =>
            uint.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new UsageException($"{option}: '{p}' is not an OST index")).ToArray();
}
