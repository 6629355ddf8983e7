using System.Globalization;

namespace Mirror.Bench.Fio;

/// <summary>Command line of `mirror-bench fio`.</summary>
internal sealed record FioOptions(long SizeMiB, int RuntimeSeconds, int Files, bool Peers, string Scratch, IReadOnlySet<string>? Only)
{
    public const string Usage = """
        usage: Mirror.Bench fio [--size MIB] [--runtime SECONDS] [--files N] [--peers] [--only T,T] [--scratch DIR]
          --size MIB         file size of the 1 MiB sequential and 4 KiB random jobs (default 512)
          --runtime SECONDS  time limit of each random 4 KiB job (default 10)
          --files N          files created, stat'ed and unlinked by the metadata job (default 1000)
          --peers            also MooseFS (goal 2) and GlusterFS (replica 2) on loopback (needs root, ip netns)
          --only T,T         run only these targets: raw, bindfs, mirror1, mirror2, moosefs, glusterfs
          --scratch DIR      where the raw and bindfs directories go (default: the temp folder's disk)
        Needs root (drop_caches, mounts) and fio; `make bench` / `make bench-peers` install what is missing.
        """;

    /// <summary>The target keys --only accepts.</summary>
    public static readonly string[] Keys = ["raw", "bindfs", "mirror1", "mirror2", "moosefs", "glusterfs"];

    public static FioOptions Parse(IReadOnlyList<string> args)
    {
        long size = 512;
        var runtime = 10;
        var files = 1000;
        var peers = false;
        var scratch = Path.GetTempPath();
        IReadOnlySet<string>? only = null;
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            switch (args[i])
            {
                case "--size":
                    size = long.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--runtime":
                    runtime = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--files":
                    files = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--peers":
                    peers = true;
                    break;
                case "--only":
                    only = Value().Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
                    break;
                case "--scratch":
                    scratch = Value();
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]}\n{Usage}");
            }
        }

        if (only?.Except(Keys).FirstOrDefault() is { } unknown)
        {
            throw new ArgumentException($"--only: unknown target '{unknown}' (known: {string.Join(", ", Keys)})");
        }

        if (size < 1 || runtime < 1 || files < 1)
        {
            throw new ArgumentException($"--size, --runtime and --files must be positive\n{Usage}");
        }

        return new FioOptions(size, runtime, files, peers, scratch, only);
    }

    public bool Wants(string key) => Only is null || Only.Contains(key);
}
