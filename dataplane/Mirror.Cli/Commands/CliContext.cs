using Mirror.Cli.Local;
using Mirror.Cli.Mounts;
using Mirror.Client.Files;
using Mirror.Core.Errors;

namespace Mirror.Cli.Commands;

/// <summary>Global options (accepted anywhere on the line): where the cluster is.</summary>
public sealed record GlobalOptions(string? ClusterDir, string? MdsAddress, string? TokenFile);

/// <summary>
/// What a command runs with: output streams, and the cluster connection, made on first use from the
/// global options through <see cref="ClusterLocator"/>.
/// </summary>
public sealed class CliContext : IAsyncDisposable
{
    private readonly Func<Task<MirrorClient>> connect;
    private MirrorClient? client;

    public CliContext(TextWriter stdout, TextWriter stderr, Func<Task<MirrorClient>> connect)
    {
        Out = stdout;
        Error = stderr;
        this.connect = connect;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>Binary standard input (put -); replaceable in tests.</summary>
    public Func<Stream> OpenStdin { get; init; } = Console.OpenStandardInput;

    /// <summary>Binary standard output (get -, cat); replaceable in tests.</summary>
    public Func<Stream> OpenStdout { get; init; } = Console.OpenStandardOutput;

    /// <summary>How path arguments map to file-system paths (Mirror mounts); replaceable in tests.</summary>
    public MountPathResolver Paths { get; init; } = MountPathResolver.ForThisProcess();

    /// <summary>The MDS the connection went to, when known (checked against mounts resolved later).</summary>
    public string? ConnectedMds { get; private set; }

    /// <summary>
    /// Connects to the cluster of the Mirror mounts the command's paths are in (<see cref="MountEndpoint"/>),
    /// else to the one <see cref="ClusterLocator"/> finds from the global options.
    /// </summary>
    public static CliContext ForCluster(GlobalOptions options, TextWriter stdout, TextWriter stderr) =>
        ForCluster(options, stdout, stderr, MountPathResolver.ForThisProcess(), Directory.GetCurrentDirectory());

    /// <summary>As above, with a given mount table view and working directory (tests).</summary>
    public static CliContext ForCluster(GlobalOptions options, TextWriter stdout, TextWriter stderr, MountPathResolver paths, string workingDirectory)
    {
        CliContext? context = null;
        context = new CliContext(stdout, stderr, async () =>
        {
            var endpoint = MountEndpoint.Resolve(paths, options, workingDirectory)
                ?? ClusterLocator.Resolve(options.ClusterDir, options.MdsAddress, options.TokenFile);
            context!.ConnectedMds = endpoint.MdsAddress;
            return await MirrorClient.ConnectAsync(endpoint.MdsAddress, endpoint.Token);
        })
        { Paths = paths };
        return context;
    }

    public async Task<MirrorClient> ClientAsync() => client ??= await connect();

    /// <summary>
    /// Resolves a path argument: a local path inside a Mirror mount maps to the file-system path under
    /// the mount's root; anything else is a file-system path (<see cref="MountPathResolver"/>).
    /// </summary>
    public CliPath Path(string argument)
    {
        var path = Paths.Resolve(argument);
        if (path.Mount is { } mount && ConnectedMds is { } connected && !MountEndpoint.SameAddress(connected, mount.MdsAddress))
        {
            throw new MirrorException(Errno.EINVAL,
                $"{argument} is in a Mirror mount of the MDS at {mount.MdsAddress}, but this command is connected to {connected}");
        }

        return path;
    }

    /// <summary>The file-system path a path argument names (<see cref="Path"/>).</summary>
    public string FsPath(string argument) => Path(argument).FsPath;

    public async ValueTask DisposeAsync()
    {
        if (client is not null)
        {
            await client.DisposeAsync();
        }
    }
}
