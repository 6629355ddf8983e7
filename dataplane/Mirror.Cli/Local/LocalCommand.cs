using Mirror.Core.Errors;

namespace Mirror.Cli.Local;

/// <summary>`mirrorctl local up|down|status|start|stop`: a whole cluster of real processes on 127.0.0.1.</summary>
public static class LocalCommand
{
    public const int ExitOk = 0;
    public const int ExitError = 1;
    public const int ExitUsage = 2;

    /// <summary>`local status`: the cluster exists but some process is not running.</summary>
    public const int ExitSomeDown = 3;

    private static readonly string[] DirOptions = ["--dir", "--cluster"];

    /// <param name="args">The arguments after "local".</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            (args.Length == 0 ? stderr : stdout).Write(LocalHelp.General);
            return args.Length == 0 ? ExitUsage : ExitOk;
        }

        var command = args[0];
        var rest = args[1..];
        if (!LocalHelp.ForCommand.TryGetValue(command, out var help))
        {
            await stderr.WriteLineAsync($"mirrorctl local: unknown command '{command}' (commands: up, down, status, start, stop; see mirrorctl local --help)").ConfigureAwait(false);
            return ExitUsage;
        }

        if (rest.Any(a => a is "--help" or "-h"))
        {
            await stdout.WriteAsync(help).ConfigureAwait(false);
            return ExitOk;
        }

        try
        {
            return command switch
            {
                "up" => await LocalLifecycle.UpAsync(Parse(command, rest, ["--no-mount"], ["--osts", "--capacity", .. MdsOptions.Names], 0), stdout).ConfigureAwait(false),
                "down" => await LocalLifecycle.DownAsync(Parse(command, rest, ["--purge"], [], 0), stdout).ConfigureAwait(false),
                "start" => await LocalLifecycle.StartAsync(Parse(command, rest, [], [], 1), stdout).ConfigureAwait(false),
                "stop" => await LocalLifecycle.StopAsync(Parse(command, rest, [], [], 1), stdout).ConfigureAwait(false),
                _ => LocalStatus.Run(Parse(command, rest, ["--json"], [], 0), stdout, stderr),
            };
        }
        catch (LocalUsageException e)
        {
            await stderr.WriteLineAsync($"mirrorctl local {command}: {e.Message}").ConfigureAwait(false);
            return ExitUsage;
        }
        catch (MirrorException e)
        {
            await stderr.WriteLineAsync($"mirrorctl local {command}: {e.Message}").ConfigureAwait(false);
            return ExitError;
        }
    }

    /// <summary>The cluster folder: --dir (or --cluster), else MIRROR_CLUSTER_DIR, else the nearest .mirror/local upward, else ./.mirror/local.</summary>
    internal static string ClusterDir(LocalArgs args)
    {
        var given = args.Value("--dir") ?? args.Value("--cluster")
            ?? Environment.GetEnvironmentVariable(ClusterLocator.ClusterDirVariable);
        var cwd = Directory.GetCurrentDirectory();
        return Path.GetFullPath(string.IsNullOrWhiteSpace(given)
            ? ClusterLocator.FindNearest(cwd) ?? Path.Combine(cwd, ClusterLocator.LocalFolder)
            : given);
    }

    private static LocalArgs Parse(string command, string[] args, string[] flags, string[] valued, int positionals)
    {
        var parsed = LocalArgs.Parse(command, args, flags, [.. valued, .. DirOptions]);
        if (parsed.Positionals.Count != positionals)
        {
            throw new LocalUsageException(positionals == 0
                ? $"unexpected argument '{parsed.Positionals[0]}'"
                : $"needs exactly one process NAME (mds-0, ost-1, ...)");
        }

        return parsed;
    }
}
