using System.Globalization;
using System.Text;

namespace Mirror.Bench.Fio;

/// <summary>The side-by-side table and the issue's goals as ratios (information, not assertions).</summary>
internal static class FioTable
{
    public const string Mirror1 = "mirror 1×IMM";
    public const string Mirror2 = "mirror 2×IMM";
    public const string MooseFs = "MooseFS g2";
    public const string GlusterFs = "GlusterFS r2";
    public const string Raw = "raw disk";

    private static readonly (string Row, Func<TargetFigures, double?> Get, string Format)[] Rows =
    [
        ("seq write 1 MiB (MiB/s)", t => t.SeqWrite?.MiBPerSecond, "F1"),
        ("seq read 1 MiB (MiB/s)", t => t.SeqRead?.MiBPerSecond, "F1"),
        ("rand write 4 KiB (IOPS)", t => t.RandWrite?.Iops, "F0"),
        ("rand read 4 KiB (IOPS)", t => t.RandRead?.Iops, "F0"),
        ("create (ops/s)", t => t.Metadata?.Create, "F0"),
        ("stat (ops/s)", t => t.Metadata?.Stat, "F0"),
        ("unlink (ops/s)", t => t.Metadata?.Unlink, "F0"),
    ];

    /// <summary>Peer figures measured on this machine type with these jobs (the upper ends), used when the run has no peer columns.</summary>
    private static readonly Dictionary<(string Peer, string Row), double> Reference = new()
    {
        [(MooseFs, "seq write 1 MiB (MiB/s)")] = 172,
        [(GlusterFs, "seq write 1 MiB (MiB/s)")] = 301,
        [(MooseFs, "rand write 4 KiB (IOPS)")] = 7000,
        [(MooseFs, "create (ops/s)")] = 3200,
        [(GlusterFs, "create (ops/s)")] = 600,
    };

    public static string Render(IReadOnlyList<TargetFigures> targets, FioOptions options, string fioVersion)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{fioVersion.Trim()} on {Environment.MachineName}, {Environment.ProcessorCount} CPUs, kernel {Environment.OSVersion.Version}");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"fio {options.SizeMiB} MiB file, psync, iodepth 1, 1 job; writes buffered (direct=0) with end_fsync=1 (fsync inside the timed run); reads cold (drop_caches before each read job); random jobs at most {options.RuntimeSeconds} s; metadata: {options.Files} files in one directory, one thread, open(O_CREAT|O_EXCL)+close / stat (after drop_caches) / unlink");
        var width = Rows.Max(r => r.Row.Length);
        var col = Math.Max(14, targets.Select(t => t.Name.Length + 2).DefaultIfEmpty(0).Max());
        sb.Append(' ', width);
        foreach (var t in targets)
        {
            sb.Append(t.Name.PadLeft(col));
        }

        sb.AppendLine();
        foreach (var (row, get, format) in Rows)
        {
            sb.Append(row.PadRight(width));
            foreach (var t in targets)
            {
                var v = get(t);
                sb.Append((v is null ? "n/a" : v.Value.ToString(format, CultureInfo.InvariantCulture)).PadLeft(col));
            }

            sb.AppendLine();
        }

        sb.Append("load 1 min (start/end)".PadRight(width));
        foreach (var t in targets)
        {
            sb.Append($"{t.LoadBefore.Split(' ')[0]}/{t.LoadAfter.Split(' ')[0]}".PadLeft(col));
        }

        sb.AppendLine();
        foreach (var t in targets.Where(t => t.Unavailable is not null))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{t.Name}: n/a ({t.Unavailable})");
        }

        foreach (var t in targets.Where(t => t.Note is not null))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{t.Name}: {t.Note}");
        }

        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"goals for {Mirror2} (ratio = ours / needed; ≥ 1.00 meets it; 'ref' = peer figure from an earlier run on this machine type, not this run):");
        var ours = targets.FirstOrDefault(t => t.Name == Mirror2);
        Goal(sb, targets, ours, "seq write ≥ 1.5 × GlusterFS", Rows[0], 1.5, [GlusterFs]);
        Goal(sb, targets, ours, "seq write ≥ 0.8 × raw/2", Rows[0], 0.4, [Raw]);
        Goal(sb, targets, ours, "seq read ≥ 1.2 × the better peer", Rows[1], 1.2, [MooseFs, GlusterFs]);
        Goal(sb, targets, ours, "rand write 4 KiB ≥ 2 × MooseFS", Rows[2], 2, [MooseFs]);
        Goal(sb, targets, ours, "rand read 4 KiB ≥ 2 × MooseFS", Rows[3], 2, [MooseFs]);
        Goal(sb, targets, ours, "create ≥ 2 × MooseFS", Rows[4], 2, [MooseFs]);
        Goal(sb, targets, ours, "stat ≥ 2 × MooseFS", Rows[5], 2, [MooseFs]);
        Goal(sb, targets, ours, "unlink ≥ 2 × MooseFS", Rows[6], 2, [MooseFs]);
        return sb.ToString();
    }

    private static void Goal(StringBuilder sb, IReadOnlyList<TargetFigures> targets, TargetFigures? ours, string goal,
        (string Row, Func<TargetFigures, double?> Get, string Format) row, double factor, string[] against)
    {
        // The better of the named columns; a missing column falls back to its reference figure.
        double? basis = null;
        var basisText = "";
        foreach (var name in against)
        {
            var measured = targets.FirstOrDefault(t => t.Name == name) is { } t ? row.Get(t) : null;
            double? value = measured ?? (Reference.TryGetValue((name, row.Row), out var r) ? r : null);
            if (value is not null && (basis is null || value > basis))
            {
                basis = value;
                basisText = $"{name} {value.Value.ToString(row.Format, CultureInfo.InvariantCulture)}{(measured is null ? " ref" : "")}";
            }
        }

        var got = ours is null ? null : row.Get(ours);
        var line = $"  {goal,-36}";
        if (basis is null)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{line} n/a (no {string.Join(" or ", against)} figure)");
            return;
        }

        var needed = basis.Value * factor;
        var neededText = needed.ToString(row.Format, CultureInfo.InvariantCulture);
        if (got is null)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{line} needs {neededText} (from {basisText}); ours n/a");
            return;
        }

        var ratio = got.Value / needed;
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"{line} needs {neededText,8} (from {basisText}), got {got.Value.ToString(row.Format, CultureInfo.InvariantCulture),8}  ratio {ratio.ToString(ratio < 0.1 ? "F3" : "F2", CultureInfo.InvariantCulture)}  {(ratio >= 1 ? "meets" : "misses")}");
    }
}
