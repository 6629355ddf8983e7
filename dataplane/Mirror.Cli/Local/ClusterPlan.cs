using System.Globalization;

namespace Mirror.Cli.Local;

/// <summary>
/// The shape of a fresh local cluster: one MDS, then N OSTs on 127.0.0.1. The first half (rounded up)
/// are labelled ssd in pool flash, the rest hdd in pool archive, so a file can have one mirror on each;
/// every OST is its own failure domain, so placement may put mirrors on any two of them.
/// </summary>
internal static class ClusterPlan
{
    public const int DefaultOsts = 4;
    public const int MaxOsts = 64;

    public static ClusterState Create(string dir, int osts)
    {
        var cluster = new ClusterState
        {
            Dir = dir,
            TokenFile = Path.Combine(dir, "token"),
        };
        cluster.Processes.Add(Process(dir, "mds", 0, "", [], ""));
        for (var i = 0; i < osts; i++)
        {
            var fast = i < (osts + 1) / 2;
            cluster.Processes.Add(Process(dir, "ost", i, fast ? "flash" : "archive", [fast ? "ssd" : "hdd"], $"fd-{i}"));
        }

        return cluster;
    }

    private static ClusterProcess Process(string dir, string role, int index, string pool, List<string> labels, string failureDomain)
    {
        var name = $"{role}-{index.ToString(CultureInfo.InvariantCulture)}";
        return new ClusterProcess
        {
            Name = name,
            Role = role,
            Index = index,
            Pool = pool,
            Labels = labels,
            FailureDomain = failureDomain,
            Data = Path.Combine(dir, name),
            Log = Path.Combine(dir, "logs", name + ".log"),
        };
    }
}
