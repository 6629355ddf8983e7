using Mirror.Daemon.Options;
using Mirror.Ost.Host;

namespace Mirror.Daemon.Roles;

/// <summary>`mirrord ost`: one object storage target (ARCHITECTURE §1) on <see cref="OstHost"/>.</summary>
internal sealed class OstRole : IDaemonRole
{
    public string Name => "ost";

    public string Summary => "object storage target: objects on local disk, bulk I/O, commit journal";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("--index", "N", "target index, unique in the cluster (0-65535)", Required: true),
        new("--data", "DIR", "object folder (created if missing)", Required: true),
        new("--mds", "HOST:PORT", "the MDS to register with and heartbeat to", Required: true),
        new("--token-file", "FILE", "file holding the cluster token every call must carry", Required: true),
        new("--pool", "P", "FLR pool name (e.g. flash)"),
        new("--label", "L", "label goals refer to (e.g. ssd); repeatable", Repeatable: true),
        new("--failure-domain", "FD", "placement keeps mirrors of a file in different failure domains"),
        new("--listen", "HOST:PORT", "gRPC listener (default 127.0.0.1:0 = an ephemeral port)"),
        new("--advertise", "HOST:PORT", "the address the MDS tells clients (default: the listener's own)"),
        new("--metrics-port", "N", "HTTP port for /metrics and /healthz (default 0 = ephemeral)"),
        new("--commit-interval", "MS", "how often the commit thread makes writes durable, in milliseconds"),
    ];

    // The host's own default, so leaving --commit-interval out changes nothing.
    private static readonly TimeSpan DefaultCommitInterval = new OstHostOptions { DataDir = "" }.CommitInterval;

    public PreparedRole Prepare(ParsedOptions options)
    {
        var index = options.Int("--index", 0, 65535) ?? 0;
        var data = Path.GetFullPath(options.RequiredString("--data"));
        var (mdsHost, mdsPort) = options.HostPort("--mds")!.Value;
        var token = options.ReadTokenFile("--token-file");
        var pool = options.String("--pool") ?? "";
        var labels = options.All("--label").ToArray();
        var failureDomain = options.String("--failure-domain") ?? $"ost-{index}";
        var (host, port) = options.HostPort("--listen") ?? ("127.0.0.1", 0);
        var advertise = options.HostPort("--advertise") is { } a ? $"{a.Host}:{a.Port}" : null;
        var metricsPort = options.Int("--metrics-port", 0, 65535) ?? 0;
        var commitMs = options.Int("--commit-interval", 1, 60_000);
        return new PreparedRole(index, async (loggers, cancellationToken) =>
        {
            Directory.CreateDirectory(data);
            var ost = await OstHost.StartAsync(new OstHostOptions
            {
                Index = index,
                DataDir = data,
                MdsAddress = $"{mdsHost}:{mdsPort}",
                Pool = pool,
                Labels = labels,
                FailureDomain = failureDomain,
                ListenHost = host,
                Port = port,
                AdvertiseAddress = advertise,
                MetricsPort = metricsPort,
                Token = token,
                CommitInterval = commitMs is { } ms ? TimeSpan.FromMilliseconds(ms) : DefaultCommitInterval,
                LoggerFactory = loggers,
            }, cancellationToken).ConfigureAwait(false);
            return new RunningRole(ost.Address, ost.MetricsUri, ost.StopAsync);
        });
    }
}
