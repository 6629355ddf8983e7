using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Mirror.Daemon.Options;
using Mirror.Daemon.Roles;

namespace Mirror.Daemon.Hosting;

/// <summary>
/// The life of one mirrord process: pick the role, check its options (exit 2 naming the bad one), start
/// the host, write the ready file, wait for SIGTERM or SIGINT, stop gracefully, exit 0.
/// </summary>
internal static partial class DaemonMain
{
    public const int ExitUsage = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            (args.Length == 0 ? stderr : stdout).Write(Help.General());
            return args.Length == 0 ? ExitUsage : 0;
        }

        var role = RoleTable.Find(args[0]);
        if (role is null)
        {
            await stderr.WriteLineAsync($"mirrord: unknown role '{args[0]}' (roles: {string.Join(", ", RoleTable.Roles.Select(r => r.Name))}; see mirrord --help)").ConfigureAwait(false);
            return ExitUsage;
        }

        var rest = args[1..];
        if (rest.Any(a => a is "--help" or "-h"))
        {
            await stdout.WriteAsync(Help.ForRole(role)).ConfigureAwait(false);
            return 0;
        }

        ParsedOptions options;
        PreparedRole prepared;
        ILoggerFactory loggers;
        try
        {
            options = ParsedOptions.Parse(rest, [.. role.Options, .. RoleTable.CommonOptions], role.Positional is null ? 0 : 1);
            prepared = role.Prepare(options);
            loggers = DaemonLogging.Create(options.String(RoleTable.LogFormat), options.String(RoleTable.LogLevel));
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"mirrord {role.Name}: {e.Message} (see mirrord {role.Name} --help)").ConfigureAwait(false);
            return ExitUsage;
        }

        using (loggers)
        {
            return await RunRoleAsync(role, prepared, options.String(RoleTable.ReadyFile), loggers).ConfigureAwait(false);
        }
    }

    private static async Task<int> RunRoleAsync(IDaemonRole role, PreparedRole prepared, string? readyFile, ILoggerFactory loggers)
    {
        var log = loggers.CreateLogger("Mirror.Daemon");
        using var stopping = new CancellationTokenSource();
        var stopRequested = new TaskCompletionSource<PosixSignal>(TaskCreationOptions.RunContinuationsAsynchronously);

        // The runtime's default for SIGTERM/SIGINT is to exit at once; we cancel that and stop the host first.
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stopRequested.TrySetResult(context.Signal);
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        RunningRole running;
        try
        {
            running = await prepared.StartAsync(loggers, stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogStartFailed(log, e, role.Name);
            return 1;
        }

        using (log.BeginScope("{Role}/{Index}", role.Name, prepared.Index))
        {
            var metrics = running.MetricsUri?.ToString();
            if (readyFile is not null)
            {
                new ReadyFile(role.Name, prepared.Index, running.Address, metrics, Environment.ProcessId).WriteAtomically(readyFile);
            }

            LogReady(log, role.Name, running.Address, metrics ?? "-", Environment.ProcessId);
            var ended = running.Ended ?? new TaskCompletionSource<int>().Task;
            if (await Task.WhenAny(stopRequested.Task, ended).ConfigureAwait(false) == ended)
            {
                // The host ended by itself (a lost FUSE session): clean up, exit with its code.
                LogEndedByItself(log, role.Name, ended.Result);
                await stopping.CancelAsync().ConfigureAwait(false);
                await running.StopAsync().ConfigureAwait(false);
                return ended.Result;
            }

            var signal = await stopRequested.Task.ConfigureAwait(false);
            LogStopping(log, signal.ToString());
            await stopping.CancelAsync().ConfigureAwait(false);
            try
            {
                await running.StopAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogStopFailed(log, e, role.Name);
                return 1;
            }

            LogStopped(log, role.Name);
            return 0;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Role} ready on {Address}, metrics {Metrics}, pid {Pid}")]
    private static partial void LogReady(ILogger logger, string role, string address, string metrics, int pid);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{Signal} received, stopping")]
    private static partial void LogStopping(ILogger logger, string signal);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "{Role} stopped")]
    private static partial void LogStopped(ILogger logger, string role);

    [LoggerMessage(EventId = 4, Level = LogLevel.Critical, Message = "{Role} failed to start")]
    private static partial void LogStartFailed(ILogger logger, Exception exception, string role);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "{Role} ended by itself, exit {Exit}")]
    private static partial void LogEndedByItself(ILogger logger, string role, int exit);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "{Role} failed to stop cleanly")]
    private static partial void LogStopFailed(ILogger logger, Exception exception, string role);
}
