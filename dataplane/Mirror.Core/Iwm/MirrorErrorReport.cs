using System.Buffers.Binary;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;

namespace Mirror.Core.Iwm;

/// <summary>
/// The per-mirror error report a writer sends when it cancels its Active-Writer lock: the v2
/// self-describing LVB of IWM §3.1, used from v1 on so the format never has to change.
/// <code>
///   uint16 mirror_errors                  bit i = the i-th mirror of the layout (layout order) had an error
///   for each set bit, in bit order:
///     uint16 stripe_count                 that mirror's stripe count (mirrors may differ)
///     uint16 stripe_bits[ceil(n / 16)]    bit s = stripe s had an error
/// </code>
/// All integers little-endian. An empty report (no bytes, or mirror_errors = 0) means "no error".
/// The MDS ORs the reports of all writers of an epoch (§2.2.3); v1 acts on the mirror bits only.
/// </summary>
public sealed class MirrorErrorReport
{
    private readonly Dictionary<int, (int StripeCount, ulong[] Bits)> mirrors = [];

    /// <summary>Mirror positions (index in the layout's mirror list) that had an error.</summary>
    public IEnumerable<int> ErroredPositions => mirrors.Keys.Order();

    public bool IsEmpty => mirrors.Count == 0;

    /// <summary>The uint16 mirror bitmask.</summary>
    public ushort MirrorMask => (ushort)mirrors.Keys.Aggregate(0, (mask, p) => mask | (1 << p));

    /// <summary>Records an error on a stripe of the mirror at <paramref name="position"/> (-1 stripe = whole mirror).</summary>
    public void Add(int position, int stripeCount, int stripe = -1)
    {
        if (position < 0 || position >= FileLayout.MaxMirrors)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, $"mirror position must be 0..{FileLayout.MaxMirrors - 1}");
        }

        if (stripeCount < 1 || stripeCount > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(stripeCount), stripeCount, "stripe count must be 1..65535");
        }

        if (!mirrors.TryGetValue(position, out var entry))
        {
            entry = (stripeCount, new ulong[(stripeCount + 63) / 64]);
            mirrors[position] = entry;
        }
        else if (entry.StripeCount != stripeCount)
        {
            throw new ArgumentException($"mirror position {position} has {entry.StripeCount} stripes in this report, not {stripeCount}", nameof(stripeCount));
        }

        if (stripe >= entry.StripeCount)
        {
            throw new ArgumentOutOfRangeException(nameof(stripe), stripe, $"mirror position {position} has stripes 0..{entry.StripeCount - 1}");
        }

        if (stripe >= 0)
        {
            entry.Bits[stripe / 64] |= 1UL << (stripe % 64);
        }
        else
        {
            for (var s = 0; s < entry.StripeCount; s++)
            {
                entry.Bits[s / 64] |= 1UL << (s % 64);
            }
        }
    }

    /// <summary>Stripes reported in error for the mirror at <paramref name="position"/>.</summary>
    public IReadOnlyList<int> ErroredStripes(int position)
    {
        if (!mirrors.TryGetValue(position, out var entry))
        {
            return [];
        }

        return Enumerable.Range(0, entry.StripeCount).Where(s => (entry.Bits[s / 64] & (1UL << (s % 64))) != 0).ToArray();
    }

    /// <summary>ORs another report into this one (the MDS does this across all writers of an epoch).</summary>
    public void Merge(MirrorErrorReport other)
    {
        foreach (var (p, (count, bits)) in other.mirrors)
        {
            // Reports of one epoch describe one layout, so counts agree; if a layout changed under a writer,
            // the wider bitmap wins so no reported stripe is lost. A mirror with no stripe bits stays so.
            (int StripeCount, ulong[] Bits) mine = mirrors.TryGetValue(p, out var entry) ? entry : (count, new ulong[(count + 63) / 64]);
            var merged = Math.Max(mine.StripeCount, count);
            var result = new ulong[(merged + 63) / 64];
            for (var w = 0; w < result.Length; w++)
            {
                result[w] = (w < mine.Bits.Length ? mine.Bits[w] : 0) | (w < bits.Length ? bits[w] : 0);
            }

            mirrors[p] = (merged, result);
        }
    }

    public byte[] Encode()
    {
        if (IsEmpty)
        {
            return [];
        }

        var size = 2 + mirrors.Values.Sum(m => 2 + (2 * ((m.StripeCount + 15) / 16)));
        var bytes = new byte[size];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, MirrorMask);
        var at = 2;
        foreach (var p in ErroredPositions)
        {
            var (count, bits) = mirrors[p];
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), (ushort)count);
            at += 2;
            for (var word = 0; word < (count + 15) / 16; word++)
            {
                var value = (ushort)((bits[word / 4] >> (16 * (word % 4))) & 0xFFFF);
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), value);
                at += 2;
            }
        }

        return bytes;
    }

    /// <summary>Parses an LVB; a malformed one is EPROTO naming what was wrong (the MDS then treats every mirror as errored).</summary>
    public static MirrorErrorReport Decode(ReadOnlySpan<byte> lvb)
    {
        var report = new MirrorErrorReport();
        if (lvb.Length == 0)
        {
            return report;
        }

        if (lvb.Length < 2)
        {
            throw new MirrorException(Errno.EPROTO, $"mirror error report of {lvb.Length} byte(s) is shorter than its 2-byte mask");
        }

        var mask = BinaryPrimitives.ReadUInt16LittleEndian(lvb);
        var at = 2;
        for (var p = 0; p < 16; p++)
        {
            if ((mask & (1 << p)) == 0)
            {
                continue;
            }

            if (lvb.Length < at + 2)
            {
                throw new MirrorException(Errno.EPROTO, $"mirror error report ends before the stripe count of mirror position {p}");
            }

            var count = BinaryPrimitives.ReadUInt16LittleEndian(lvb[at..]);
            at += 2;
            if (count == 0)
            {
                throw new MirrorException(Errno.EPROTO, $"mirror error report gives mirror position {p} a stripe count of 0");
            }

            var words = (count + 15) / 16;
            if (lvb.Length < at + (2 * words))
            {
                throw new MirrorException(Errno.EPROTO, $"mirror error report ends inside the stripe bitmap of mirror position {p}");
            }

            report.mirrors[p] = (count, new ulong[(count + 63) / 64]);
            for (var w = 0; w < words; w++)
            {
                var value = BinaryPrimitives.ReadUInt16LittleEndian(lvb[(at + (2 * w))..]);
                for (var b = 0; b < 16; b++)
                {
                    var s = (w * 16) + b;
                    if ((value & (1 << b)) != 0 && s < count)
                    {
                        report.mirrors[p].Bits[s / 64] |= 1UL << (s % 64);
                    }
                }
            }

            at += 2 * words;
        }

        if (at != lvb.Length)
        {
            throw new MirrorException(Errno.EPROTO, $"mirror error report has {lvb.Length - at} trailing byte(s)");
        }

        return report;
    }
}
