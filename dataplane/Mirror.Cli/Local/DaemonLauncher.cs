using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mirror.Core.Errors;

namespace Mirror.Cli.Local;

/// <summary>
/// Starts one mirrord as a detached child: its own session (setsid), stdin from /dev/null, stdout and
/// stderr appended to its log, so it outlives this mirrorctl. Then waits, against a deadline, for the
/// ready file the daemon writes once it listens; if the child exits first, the error shows its log's tail.
/// </summary>
internal sealed class DaemonLauncher
{
    public const string MirrordVariable = "MIRRORD";

    // `sh` runs `setsid` in its own place (exec), and setsid runs mirrord in its place. Should setsid have
    // to fork (its caller leads a process group), --wait keeps it until mirrord exits, so our child's exit
    // still means the daemon's. The daemon's own pid comes from its ready file.
    private const string DetachScript = "log=$1; shift; exec setsid --wait \"$@\" </dev/null >>\"$log\" 2>&1";

    private static readonly TimeSpan PollDelay = TimeSpan.FromMilliseconds(50);

    private readonly string program;
    private readonly string[] programPrefix;

    private DaemonLauncher(string program, string[] programPrefix)
    {
        this.program = program;
        this.programPrefix = programPrefix;
    }

    /// <summary>How long a daemon may take from exec to ready (a cold .NET start on a busy machine is slow).</summary>
    public static TimeSpan ReadyTimeout { get; } = TimeSpan.FromSeconds(60);

    /// <summary>mirrord from $MIRRORD, else next to mirrorctl: the apphost, or mirrord.dll through the dotnet host.</summary>
    public static DaemonLauncher Locate()
    {
        if (Environment.GetEnvironmentVariable(MirrordVariable) is { Length: > 0 } configured)
        {
            var path = Path.GetFullPath(configured);
            if (!File.Exists(path))
            {
                throw new MirrorException(Errno.ENOENT, $"{MirrordVariable}={configured}: no such file");
            }

            return path.EndsWith(".dll", StringComparison.Ordinal) ? new(DotnetHost(), [path]) : new(path, []);
        }

        var dir = AppContext.BaseDirectory;
        var apphost = Path.Combine(dir, "mirrord");
        var dll = Path.Combine(dir, "mirrord.dll");
        var underDotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet";
        if (File.Exists(dll) && (underDotnet || !File.Exists(apphost)))
        {
            return new(DotnetHost(), [dll]);
        }

        if (File.Exists(apphost))
        {
            return new(apphost, []);
        }

        throw new MirrorException(Errno.ENOENT, $"mirrord not found next to mirrorctl in {dir}; set {MirrordVariable}=/path/to/mirrord");
    }

    /// <summary>Starts <paramref name="process"/> and records its pid, address and metrics URI once it is ready.</summary>
    public async Task StartAsync(ClusterState cluster, ClusterProcess process, TimeSpan timeout)
    {
        var runDir = Path.Combine(cluster.Dir, "run");
        var readyFile = Path.Combine(runDir, process.Name + ".ready");
        Directory.CreateDirectory(runDir);
        Directory.CreateDirectory(process.Data);
        Directory.CreateDirectory(Path.GetDirectoryName(process.Log)!);
        File.Delete(readyFile);

        var args = ArgumentsFor(cluster, process, readyFile);
        File.AppendAllText(process.Log, $"--- {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} mirrorctl local: starting {process.Name}: {program} {string.Join(' ', programPrefix.Concat(args))}\n");

        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var arg in new[] { "-c", DetachScript, "sh", process.Log, program }.Concat(programPrefix).Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start)
            ?? throw new MirrorException(Errno.EIO, $"could not start {process.Name}");
        process.Pid = child.Id;

        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (TryReadReady(readyFile) is { } ready)
            {
                process.Pid = ready.Pid;
                process.Address = ready.Address;
                process.Metrics = ready.Metrics ?? "";
                return;
            }

            if (child.HasExited)
            {
                throw new MirrorException(Errno.EIO, $"{process.Name} exited with code {child.ExitCode} before it was ready; the end of {process.Log}:\n{LogTail(process.Log)}");
            }

            if (DateTime.UtcNow >= deadline)
            {
                child.Kill();
                throw new MirrorException(Errno.ETIMEDOUT, $"{process.Name} was not ready within {timeout.TotalSeconds:0}s and was killed; the end of {process.Log}:\n{LogTail(process.Log)}");
            }

            await Task.Delay(PollDelay).ConfigureAwait(false);
        }
    }

    private static List<string> ArgumentsFor(ClusterState cluster, ClusterProcess process, string readyFile)
    {
        if (process.Role == DefaultMount.Role)
        {
            return DefaultMount.Arguments(cluster, process, readyFile);
        }

        var args = new List<string> { process.Role };
        if (process.Role == "ost")
        {
            args.AddRange(["--index", process.Index.ToString(CultureInfo.InvariantCulture), "--mds", cluster.Mds.Address]);
            if (process.Pool.Length > 0)
            {
                args.AddRange(["--pool", process.Pool]);
            }

            foreach (var label in process.Labels)
            {
                args.AddRange(["--label", label]);
            }

            if (process.FailureDomain.Length > 0)
            {
                args.AddRange(["--failure-domain", process.FailureDomain]);
            }
        }

        // A restart reuses the recorded ports so that clients, OSTs and cluster.json stay right.
        var listen = process.Address.Length > 0 ? process.Address : "127.0.0.1:0";
        var metricsPort = Uri.TryCreate(process.Metrics, UriKind.Absolute, out var metrics) ? metrics.Port : 0;
        args.AddRange(
        [
            "--data", process.Data,
            "--token-file", cluster.TokenFile,
            "--listen", listen,
            "--metrics-port", metricsPort.ToString(CultureInfo.InvariantCulture),
            "--ready-file", readyFile,
        ]);
        args.AddRange(process.Options);
        return args;
    }

    private static ReadyInfo? TryReadReady(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        // The daemon renames a complete file into place, so one read sees all of it.
        return JsonSerializer.Deserialize<ReadyInfo>(File.ReadAllText(path), ClusterState.Json);
    }

    internal static string LogTail(string path, int lines = 20)
    {
        try
        {
            var all = File.ReadAllLines(path);
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException e)
        {
            return $"(log unreadable: {e.Message})";
        }
    }

    private static string DotnetHost() =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : "dotnet";

    private sealed record ReadyInfo(string Role, int Index, string Address, string? Metrics, int Pid);
}
