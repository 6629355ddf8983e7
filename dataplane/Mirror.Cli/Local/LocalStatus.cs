using System.Text.Json;

namespace Mirror.Cli.Local;

/// <summary>`local status`: what cluster.json records, and whether each recorded pid is still that mirrord.</summary>
internal static class LocalStatus
{
    public static int Run(LocalArgs args, TextWriter stdout, TextWriter stderr)
    {
        var dir = LocalCommand.ClusterDir(args);
        var cluster = ClusterState.Load(dir);
        if (cluster is null)
        {
            stderr.WriteLine($"mirrorctl local status: no cluster in {dir}: run `mirrorctl local up`");
            return LocalCommand.ExitError;
        }

        var report = Report(cluster);
        if (args.Has("--json"))
        {
            stdout.WriteLine(JsonSerializer.Serialize(report, ClusterState.Json));
        }
        else
        {
            WriteTable(cluster, stdout);
        }

        return report.Processes.All(p => p.Running) ? LocalCommand.ExitOk : LocalCommand.ExitSomeDown;
    }

    public static StatusReport Report(ClusterState cluster) => new(
        cluster.Dir,
        cluster.TokenFile,
        cluster.Processes.FirstOrDefault(p => p.Role == "mds")?.Address ?? "",
        [.. cluster.Processes.Select(p => new ProcessStatus(
            p.Name, p.Role, p.Index, p.Address, p.Metrics, p.Pid, DaemonProcesses.IsRunning(p),
            p.Labels, p.Pool, p.FailureDomain, p.Data, p.Log))],
        cluster.Mountpoints);

    public static void WriteTable(ClusterState cluster, TextWriter stdout)
    {
        var report = Report(cluster);
        stdout.WriteLine($"{"NAME",-8} {"ROLE",-4} {"ADDRESS",-21} {"PID",-8} {"STATE",-8} {"POOL",-8} {"LABELS",-8} DATA");
        foreach (var p in report.Processes)
        {
            var labels = p.Labels.Count > 0 ? string.Join(',', p.Labels) : "-";
            // A mount's address is its mountpoint, which DATA already shows.
            var address = p.Role == DefaultMount.Role ? "-" : Or(p.Address);
            stdout.WriteLine($"{p.Name,-8} {p.Role,-4} {address,-21} {p.Pid,-8} {(p.Running ? "running" : "down"),-8} {Or(p.Pool),-8} {labels,-8} {p.Data}");
        }

        stdout.WriteLine($"token file:  {report.TokenFile}");
        stdout.WriteLine($"mountpoints: {(report.Mountpoints.Count > 0 ? string.Join(' ', report.Mountpoints.Select(m => $"{m} ({(DefaultMount.IsMounted(m) ? "mounted" : "not mounted")})")) : "none")}");
    }

    private static string Or(string value) => value.Length > 0 ? value : "-";
}

/// <summary>The stable shape of `local status --json` (snake_case on the wire).</summary>
internal sealed record StatusReport(string Dir, string TokenFile, string Mds, List<ProcessStatus> Processes, List<string> Mountpoints);

internal sealed record ProcessStatus(
    string Name,
    string Role,
    int Index,
    string Address,
    string Metrics,
    int Pid,
    bool Running,
    List<string> Labels,
    string Pool,
    string FailureDomain,
    string Data,
    string Log);
