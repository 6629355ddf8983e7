using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Mirror.Bench.Fio;

/// <summary>Runs the tools the bench drives (fio, mount helpers, peer daemons); daemons are stopped by PID.</summary>
internal static class Shell
{
    /// <summary>Runs a program to completion; a non-zero exit is an error naming the command and its stderr.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, CancellationToken ct, IReadOnlyDictionary<string, string>? env = null)
    {
        var (code, stdout, stderr) = await TryRunAsync(file, args, ct, env);
        if (code != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {code}: {stderr.Trim()} {stdout.Trim()}".Trim());
        }

        return stdout;
    }

    public static async Task<(int Code, string Stdout, string Stderr)> TryRunAsync(string file, IEnumerable<string> args, CancellationToken ct,
        IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = Info(file, args, env);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = p.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await p.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            Stop(p, TimeSpan.FromSeconds(5));
            throw;
        }

        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running daemon with its output in <paramref name="log"/>; stop it with <see cref="Stop"/>.</summary>
    public static Process StartDaemon(string file, IEnumerable<string> args, string log, IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = Info(file, ["-c", "exec \"$0\" \"$@\" >>\"$BENCH_LOG\" 2>&1", file, .. args], env);
        psi.FileName = "/bin/sh";
        psi.Environment["BENCH_LOG"] = log;
        return Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
    }

    public static bool Exists(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Append("/usr/sbin").Append("/sbin")
            .Any(d => File.Exists(Path.Combine(d, program)));

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>, of this one process.</summary>
    public static void Stop(Process p, TimeSpan grace)
    {
        try
        {
            if (p.HasExited)
            {
                return;
            }

            _ = Kill(p.Id, 15);
            if (!p.WaitForExit(grace))
            {
                p.Kill();
                p.WaitForExit(grace);
            }
        }
        catch (InvalidOperationException)
        {
            // already reaped
        }
    }

    /// <summary>SIGTERM then SIGKILL to a PID this bench started indirectly (read from a pid file).</summary>
    public static async Task StopPidAsync(int pid, TimeSpan grace)
    {
        if (Kill(pid, 15) != 0)
        {
            return;
        }

        var deadline = DateTime.UtcNow + grace;
        while (DateTime.UtcNow < deadline)
        {
            if (Kill(pid, 0) != 0)
            {
                return;
            }

            await Task.Delay(50);
        }

        _ = Kill(pid, 9);
    }

    private static ProcessStartInfo Info(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        return psi;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
