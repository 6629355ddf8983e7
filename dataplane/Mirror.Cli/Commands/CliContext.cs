using Mirror.Cli.Local;
using Mirror.Client.Files;

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

    public static CliContext ForCluster(GlobalOptions options, TextWriter stdout, TextWriter stderr) =>
        new(stdout, stderr, async () =>
        {
            var endpoint = ClusterLocator.Resolve(options.ClusterDir, options.MdsAddress, options.TokenFile);
            return await MirrorClient.ConnectAsync(endpoint.MdsAddress, endpoint.Token);
        });

    public async Task<MirrorClient> ClientAsync() => client ??= await connect();

    /// <summary>
    /// Turns a path argument into a path in the file system namespace. The one place where mount-path
    /// translation (a path under a FUSE mount) will go.
    /// </summary>
    public static string FsPath(string argument) => NamespacePath.Normalize(argument);

    public async ValueTask DisposeAsync()
    {
        if (client is not null)
        {
            await client.DisposeAsync();
        }
    }
}
