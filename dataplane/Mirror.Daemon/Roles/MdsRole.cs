using Mirror.Daemon.Options;
using Mirror.Mds.Host;

namespace Mirror.Daemon.Roles;

/// <summary>`mirrord mds`: the metadata server (ARCHITECTURE §1) on <see cref="MdsHost"/>.</summary>
internal sealed class MdsRole : IDaemonRole
{
    public string Name => "mds";

    public string Summary => "metadata server: namespace, layouts, locks, epochs, changelog";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("--data", "DIR", "metadata store folder (created if missing)", Required: true),
        new("--token-file", "FILE", "file holding the cluster token every call must carry", Required: true),
        new("--listen", "HOST:PORT", "gRPC listener (default 127.0.0.1:0 = an ephemeral port)"),
        new("--metrics-port", "N", "HTTP port for /metrics and /healthz (default 0 = ephemeral)"),
    ];

    public PreparedRole Prepare(ParsedOptions options)
    {
        var data = Path.GetFullPath(options.RequiredString("--data"));
        var token = options.ReadTokenFile("--token-file");
        var (host, port) = options.HostPort("--listen") ?? ("127.0.0.1", 0);
        var metricsPort = options.Int("--metrics-port", 0, 65535) ?? 0;
        return new PreparedRole(0, async (loggers, cancellationToken) =>
        {
            Directory.CreateDirectory(data);
            var mds = await MdsHost.StartAsync(new MdsHostOptions
            {
                DataDir = data,
                ListenHost = host,
                Port = port,
                MetricsPort = metricsPort,
                Token = token,
                LoggerFactory = loggers,
            }, cancellationToken).ConfigureAwait(false);
            return new RunningRole(mds.Address, mds.MetricsUri, mds.StopAsync);
        });
    }
}
