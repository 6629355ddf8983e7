using System.Runtime.InteropServices;

namespace Mirror.Cli.Local;

/// <summary>
/// Liveness and signals for recorded daemons. A pid counts as ours only when /proc/PID/cmdline runs mirrord
/// on the recorded data folder: pids get reused, and a dead daemon's pid may belong to anything by now.
/// We signal only such pids, one by one (never by name).
/// </summary>
internal static partial class DaemonProcesses
{
    private const int SIGKILL = 9;
    private const int SIGTERM = 15;

    private static readonly TimeSpan PollDelay = TimeSpan.FromMilliseconds(50);

    public static bool IsRunning(ClusterProcess process)
    {
        if (process.Pid <= 0)
        {
            return false;
        }

        string[] argv;
        try
        {
            // A zombie (exited, not yet reaped) has an empty cmdline: it counts as gone.
            argv = File.ReadAllText($"/proc/{process.Pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        var runsMirrord = argv.Any(a => Path.GetFileName(a) is "mirrord" or "mirrord.dll");
        return runsMirrord && argv.Contains(process.Data, StringComparer.Ordinal);
    }

    /// <summary>SIGTERM, wait for the graceful stop until <paramref name="grace"/>, then SIGKILL. False if it was not running.</summary>
    public static async Task<bool> StopAsync(ClusterProcess process, TimeSpan grace)
    {
        if (!IsRunning(process))
        {
            return false;
        }

        Signal(process.Pid, SIGTERM);
        if (!await WaitGoneAsync(process, grace).ConfigureAwait(false))
        {
            Kill(process);
            if (!await WaitGoneAsync(process, TimeSpan.FromSeconds(10)).ConfigureAwait(false))
            {
                throw new Core.Errors.MirrorException(Core.Errors.Errno.EBUSY, $"{process.Name} (pid {process.Pid}) is still running after SIGKILL");
            }
        }

        return true;
    }

    /// <summary>SIGKILL by the recorded pid, if it is still our process.</summary>
    public static void Kill(ClusterProcess process)
    {
        if (IsRunning(process))
        {
            Signal(process.Pid, SIGKILL);
        }
    }

    public static async Task<bool> WaitGoneAsync(ClusterProcess process, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (IsRunning(process))
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(PollDelay).ConfigureAwait(false);
        }

        return true;
    }

    private static void Signal(int pid, int signal)
    {
        // ESRCH (it exited meanwhile) is the outcome we wanted anyway.
        _ = SendSignal(pid, signal);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
