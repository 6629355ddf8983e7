using System.Text;
using Mirror.Cli.Local;
using Mirror.Cli.Mounts;
using Mirror.Cli.Parsing;
using Mirror.Core.Errors;

namespace Mirror.Cli.Commands;

/// <summary>
/// mirrorctl's command table: global options, dispatch by command name (one or two words), help, and
/// the mapping of failures to exit codes: 0 success, 1 the operation failed, 2 the command line is wrong
/// (nothing was changed). Error lines are <c>mirrorctl: [COMMAND: ]MESSAGE</c>, without the command when
/// the message starts with the option or path it is about.
/// </summary>
public static class CommandTable
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int UsageError = 2;

    public static IReadOnlyList<ICommand> Commands { get; } =
    [
        new MirrorCreateCommand(),
        new MirrorExtendCommand(),
        new MirrorSplitCommand(),
        new MirrorResyncCommand(),
        new MirrorVerifyCommand(),
        new MirrorReadCommand(),
        new FindCommand(),
        new GetstripeCommand(),
        new SetstripeCommand(),
        new MigrateCommand(),
        new PutCommand(),
        new GetCommand(cat: false),
        new GetCommand(cat: true),
        new LsCommand(),
        new MkdirCommand(),
        new RmCommand(),
        new StatCommand(),
        new ChangelogCommand(),
        new ChangelogRegisterCommand(),
        new ChangelogClearCommand(),
        new VolumeCreateCommand(),
        new VolumeListCommand(),
        new VolumeRemoveCommand(),
        new VolumeResizeCommand(),
    ];

    private static readonly string[] GlobalOptionNames = ["--cluster", "--mds", "--token-file"];

    public static string Usage
    {
        get
        {
            var sb = new StringBuilder();
            sb.Append("usage: mirrorctl [--cluster DIR | --mds HOST:PORT --token-file FILE] COMMAND [ARGS]\n\ncommands:\n");
            foreach (var c in Commands)
            {
                sb.Append($"  {c.Name,-15} {c.Summary}\n");
            }

            sb.Append($"  {"local",-15} run a local cluster: up, down, status, start, stop (mirrorctl local --help)\n");
            sb.Append("\nglobal options (anywhere on the line):\n");
            sb.Append("  --cluster DIR        the local cluster folder (default: $MIRROR_CLUSTER_DIR or the nearest .mirror/local)\n");
            sb.Append("  --mds HOST:PORT      the MDS address (default: $MIRROR_MDS)\n");
            sb.Append("  --token-file FILE    the cluster token (default: $MIRROR_TOKEN_FILE)\n");
            sb.Append("\n'mirrorctl COMMAND --help' describes a command.\n");
            return sb.ToString();
        }
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Func<GlobalOptions, CliContext>? contextFactory = null)
    {
        if (args.Length == 0)
        {
            await stderr.WriteAsync(Usage);
            return UsageError;
        }

        if (args[0] == "local")
        {
            return await LocalCommand.RunAsync(args[1..], stdout, stderr);
        }

        string commandName = "";
        MountPathResolver? paths = null;
        try
        {
            var (globals, rest, globalTokens) = ExtractGlobalOptions(args);
            if (rest.Count > 0 && rest[0] == "local")
            {
                return await LocalCommand.RunAsync([.. rest.Skip(1), .. globalTokens], stdout, stderr);
            }

            if (rest.Count == 0)
            {
                await stderr.WriteAsync(Usage);
                return UsageError;
            }

            if (rest[0] is "-h" or "--help" or "help")
            {
                var topic = rest.Skip(1).ToArray();
                var match = topic.Length == 0 ? null : Find(topic, out _);
                await stdout.WriteAsync(match?.Usage ?? topic.FirstOrDefault() switch
                {
                    "mirror" => MirrorUsage(),
                    "volume" => GroupUsage("volume", "create|ls|rm|resize"),
                    _ => Usage,
                });
                return Ok;
            }

            var command = Find(rest, out var consumed);
            if (command is null)
            {
                if (rest[0] == "mirror")
                {
                    if (rest.Count > 1 && rest[1] is "-h" or "--help")
                    {
                        await stdout.WriteAsync(MirrorUsage());
                        return Ok;
                    }

                    throw new UsageException(rest.Count == 1
                        ? "mirror: missing subcommand (create, extend, split, resync, verify, read)"
                        : $"mirror: unknown subcommand '{rest[1]}' (create, extend, split, resync, verify, read)");
                }

                if (rest[0] == "volume")
                {
                    if (rest.Count > 1 && rest[1] is "-h" or "--help")
                    {
                        await stdout.WriteAsync(GroupUsage("volume", "create|ls|rm|resize"));
                        return Ok;
                    }

                    throw new UsageException(rest.Count == 1
                        ? "volume: missing subcommand (create, ls, rm, resize)"
                        : $"volume: unknown subcommand '{rest[1]}' (create, ls, rm, resize)");
                }

                throw new UsageException($"unknown command '{rest[0]}' (mirrorctl --help lists the commands)");
            }

            commandName = command.Name;
            var commandArgs = rest.Skip(consumed).ToArray();
            if (commandArgs.TakeWhile(a => a != "--").Any(a => a is "-h" or "--help"))
            {
                await stdout.WriteAsync(command.Usage);
                return Ok;
            }

            await using var context = contextFactory?.Invoke(globals) ?? CliContext.ForCluster(globals, stdout, stderr);
            paths = context.Paths;
            paths.Scan(commandArgs);
            return await command.RunAsync(commandArgs, context);
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"mirrorctl: {e.Message}");
            return UsageError;
        }
        catch (MirrorException e)
        {
            var message = paths?.Localize(e.Message) ?? e.Message;
            await stderr.WriteLineAsync($"mirrorctl: {Prefix(commandName, message)}{message}");
            return Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotImplementedException or InvalidOperationException or HttpRequestException)
        {
            var message = paths?.Localize(e.Message) ?? e.Message;
            await stderr.WriteLineAsync($"mirrorctl: {Prefix(commandName, message)}{message}");
            return Failed;
        }
    }

    /// <summary>Removes --cluster/--mds/--token-file (with = or a separate value) from anywhere on the line.</summary>
    public static (GlobalOptions Options, List<string> Remaining, List<string> GlobalTokens) ExtractGlobalOptions(IReadOnlyList<string> args)
    {
        string? cluster = null, mds = null, tokenFile = null;
        var rest = new List<string>();
        var globalTokens = new List<string>();
        var reader = new ArgReader(args);
        while (!reader.AtEnd)
        {
            var token = reader.Next();
            if (token == "--")
            {
                rest.Add(token);
                while (!reader.AtEnd)
                {
                    rest.Add(reader.Next());
                }

                break;
            }

            var name = GlobalOptionNames.FirstOrDefault(n => OptionLoop.Is(token, n));
            if (name is null)
            {
                rest.Add(token);
                continue;
            }

            var value = reader.Value(token);
            if (name == "--cluster")
            {
                // `mirrorctl --cluster DIR local up`: the local commands take the folder too.
                globalTokens.Add(name);
                globalTokens.Add(value);
            }

            switch (name)
            {
                case "--cluster": cluster = value; break;
                case "--mds": mds = value; break;
                default: tokenFile = value; break;
            }
        }

        return (new GlobalOptions(cluster, mds, tokenFile), rest, globalTokens);
    }

    /// <summary>The command named by the first one or two words.</summary>
    public static ICommand? Find(IReadOnlyList<string> words, out int consumed)
    {
        if (words.Count >= 2 && Commands.FirstOrDefault(c => c.Name == $"{words[0]} {words[1]}") is { } two)
        {
            consumed = 2;
            return two;
        }

        consumed = 1;
        return Commands.FirstOrDefault(c => c.Name == words[0] && !c.Name.Contains(' '));
    }

    private static string Prefix(string command, string message) =>
        command.Length == 0 || message.StartsWith('/') || message.StartsWith('-') || message.StartsWith(command + ":", StringComparison.Ordinal)
            ? ""
            : command + ": ";

    private static string MirrorUsage() => GroupUsage("mirror", "create|extend|split|resync|verify|read");

    private static string GroupUsage(string group, string subcommands)
    {
        var sb = new StringBuilder($"usage: mirrorctl {group} {subcommands} ...\n\n");
        foreach (var c in Commands.Where(c => c.Name.StartsWith(group + " ", StringComparison.Ordinal)))
        {
            sb.Append($"  {c.Name,-15} {c.Summary}\n");
        }

        return sb.ToString();
    }
}
