using System.Diagnostics;
using System.Text.Json;

namespace Mirror.Cluster.Tests.Harness;

/// <summary>
/// A local cluster of real processes in its own temp folder, driven through the built mirrorctl exactly as
/// a user would (`local up --dir TMP`, `local status --json`, ...). Dispose stops it with
/// `local down --purge`, then makes sure every pid it ever saw is gone (SIGKILL by pid for leftovers)
/// and deletes the folder.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private static readonly TimeSpan GoneTimeout = TimeSpan.FromSeconds(30);

    // Every (pid, data folder) seen in a status: what Dispose checks is gone.
    private readonly HashSet<(int Pid, string Data)> seen = [];

    private LocalCluster(string dir) => Dir = dir;

    public string Dir { get; }

    public ClusterStatus Status { get; private set; } = null!;

    public string MdsAddress => Status.Mds;

    public string TokenFile => Status.TokenFile;

    public string Token => File.ReadAllText(TokenFile).Trim();

    public IReadOnlyList<ProcessStatus> Processes => Status.Processes;

    /// <summary>The output of the `local up` that started it.</summary>
    public CtlResult UpResult { get; private set; } = null!;

    /// <param name="upOptions">More `local up` options (the MDS's IWM timeouts, say).</param>
    public static async Task<LocalCluster> StartAsync(int osts = 4, IEnumerable<string>? upOptions = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "mirror-cluster-" + Guid.NewGuid().ToString("N")[..12]);
        var cluster = new LocalCluster(dir);
        try
        {
            // --no-mount: tests that want a FUSE mount start their own (tests/Mirror.Posix.Tests).
            cluster.UpResult = await cluster.RunCtlAsync(["local", "up", "--dir", dir, "--osts", osts.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-mount", .. upOptions ?? []]);
            if (cluster.UpResult.Exit != 0)
            {
                throw new InvalidOperationException($"local up failed: {cluster.UpResult}\n{cluster.Logs()}");
            }

            await cluster.RefreshAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>mirrorctl with MIRROR_CLUSTER_DIR set to this cluster.</summary>
    public Task<CtlResult> RunCtlAsync(params string[] args) =>
        CtlRunner.RunDllAsync("mirrorctl.dll", args, new Dictionary<string, string?> { ["MIRROR_CLUSTER_DIR"] = Dir });

    /// <summary>Reads `local status --json` (exit 0 or 3 both carry the report).</summary>
    public async Task<(int Exit, ClusterStatus Status)> RefreshAsync()
    {
        var result = await RunCtlAsync("local", "status", "--json");
        if (result.Exit is not (0 or 3))
        {
            throw new InvalidOperationException($"local status --json failed: {result}");
        }

        Status = JsonSerializer.Deserialize<ClusterStatus>(result.Stdout)
            ?? throw new InvalidOperationException($"local status --json printed nothing: {result}");
        foreach (var p in Status.Processes.Where(p => p.Pid > 0))
        {
            seen.Add((p.Pid, p.Data));
        }

        return (result.Exit, Status);
    }

    /// <summary>kill -9 of the recorded pid (after checking it is that mirrord), then waits until it is gone.</summary>
    public async Task KillAsync(string name)
    {
        var (_, status) = await RefreshAsync();
        var process = status[name];
        if (!IsMirrord(process.Pid, process.Data))
        {
            throw new InvalidOperationException($"{name} (pid {process.Pid}) is not running; nothing to kill");
        }

        using (var victim = Process.GetProcessById(process.Pid))
        {
            victim.Kill();
        }

        await Wait.UntilAsync(() => !IsMirrord(process.Pid, process.Data), GoneTimeout, $"{name} (pid {process.Pid}) to be gone after SIGKILL");
    }

    /// <summary>`local start NAME`; fails the test if it does not exit 0.</summary>
    public async Task StartAsync(string name)
    {
        var result = await RunCtlAsync("local", "start", name);
        if (result.Exit != 0)
        {
            throw new InvalidOperationException($"local start {name} failed: {result}\n{Logs()}");
        }

        await RefreshAsync();
    }

    /// <summary>True while pid runs mirrord on that data folder (a zombie's empty cmdline counts as gone).</summary>
    public static bool IsMirrord(int pid, string data)
    {
        try
        {
            var argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return argv.Any(a => a.EndsWith("mirrord.dll", StringComparison.Ordinal) || a.EndsWith("/mirrord", StringComparison.Ordinal))
                && argv.Contains(data);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The tail of every daemon log, for failure messages.</summary>
    public string Logs()
    {
        var logs = Path.Combine(Dir, "logs");
        if (!Directory.Exists(logs))
        {
            return "(no logs)";
        }

        return string.Join('\n', Directory.GetFiles(logs).Order().Select(f =>
        {
            var lines = File.ReadAllLines(f);
            return $"--- {Path.GetFileName(f)}\n{string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 15)))}";
        }));
    }

    public async ValueTask DisposeAsync()
    {
        if (Directory.Exists(Dir))
        {
            try
            {
                await RunCtlAsync("local", "down", "--purge");
            }
            catch (TimeoutException)
            {
                // the pid sweep below still stops everything
            }
        }

        foreach (var (pid, data) in seen.Where(s => IsMirrord(s.Pid, s.Data)))
        {
            using var leftover = Process.GetProcessById(pid);
            leftover.Kill();
        }

        await Wait.UntilAsync(() => !seen.Any(s => IsMirrord(s.Pid, s.Data)), GoneTimeout, "every daemon of the cluster to be gone");
        if (Directory.Exists(Dir))
        {
            Directory.Delete(Dir, recursive: true);
        }
    }
}
