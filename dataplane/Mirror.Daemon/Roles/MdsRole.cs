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
        new("--bulk-port", "N", "TCP port of the bulk channel for unary calls (default 0 = ephemeral)"),
        new("--client-lease-ms", "MS", "evict a client not heard from for this long (default 30000)"),
        new("--lock-callback-timeout-ms", "MS", "evict a lock holder that does not cancel this long after a callback (default 10000)"),
        new("--recovery-window-ms", "MS", "after a restart, wait this long for clients to reconnect and replay locks (default 15000)"),
    ];

    public PreparedRole Prepare(ParsedOptions options)
    {
        var data = Path.GetFullPath(options.RequiredString("--data"));
        var token = options.ReadTokenFile("--token-file");
        var (host, port) = options.HostPort("--listen") ?? ("127.0.0.1", 0);
        var metricsPort = options.Int("--metrics-port", 0, 65535) ?? 0;
        var bulkPort = options.Int("--bulk-port", 0, 65535) ?? 0;
        var lease = options.Int("--client-lease-ms", 100, int.MaxValue) ?? 30_000;
        var callbackTimeout = options.Int("--lock-callback-timeout-ms", 10, int.MaxValue) ?? 10_000;
        var recoveryWindow = options.Int("--recovery-window-ms", 0, int.MaxValue) ?? 15_000;
        return new PreparedRole(0, async (loggers, cancellationToken) =>
        {
            Directory.CreateDirectory(data);
            var mds = await MdsHost.StartAsync(new MdsHostOptions
            {
                DataDir = data,
                ListenHost = host,
                Port = port,
                MetricsPort = metricsPort,
                BulkPort = bulkPort,
                Token = token,
                LoggerFactory = loggers,
                ClientLease = TimeSpan.FromMilliseconds(lease),
                LockCallbackTimeout = TimeSpan.FromMilliseconds(callbackTimeout),
                RecoveryWindow = TimeSpan.FromMilliseconds(recoveryWindow),
            }, cancellationToken).ConfigureAwait(false);
            return new RunningRole(mds.Address, mds.MetricsUri, mds.StopAsync);
        });
    }
}
