using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Mds.Service;
using Mirror.Rpc;

namespace Mirror.Mds.Host;

public sealed class MdsHostOptions
{
    public required string DataDir { get; init; }

    public string ListenHost { get; init; } = "127.0.0.1";

    /// <summary>0 = an ephemeral port (read <see cref="MdsHost.Address"/>).</summary>
    public int Port { get; init; }

    /// <summary>TCP port of the bulk channel for unary calls (Mirror.Rpc Bulk/): 0 = ephemeral, null = gRPC only.</summary>
    public int? BulkPort { get; init; } = 0;

    /// <summary>0 = ephemeral, null = no /metrics listener.</summary>
    public int? MetricsPort { get; init; } = 0;

    /// <summary>The cluster token (checked on every call, sent to OSTs); null = none.</summary>
    public string? Token { get; init; }

    public TimeSpan OstDownAfter { get; init; } = TimeSpan.FromSeconds(6);

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>IWM client lease (`--client-lease-ms`, IWM §2.4.3.1).</summary>
    public TimeSpan ClientLease { get; init; } = TimeSpan.FromMilliseconds(30_000);

    /// <summary>IWM lock callback timeout (`--lock-callback-timeout-ms`, IWM §2.2.6).</summary>
    public TimeSpan LockCallbackTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>IWM recovery window after a restart (`--recovery-window-ms`, IWM §2.2.5).</summary>
    public TimeSpan RecoveryWindow { get; init; } = TimeSpan.FromMilliseconds(15_000);
}

/// <summary>The MDS process body: the core (store, model, layers) served as "mirror.mds.Mds" on an <see cref="RpcServer"/>.</summary>
public sealed class MdsHost : IAsyncDisposable
{
    private readonly MdsCore core;
    private readonly MdsMetrics metrics;
    private readonly RpcServer server;
    private bool stopped;

    private MdsHost(MdsCore core, MdsMetrics metrics, RpcServer server)
    {
        this.core = core;
        this.metrics = metrics;
        this.server = server;
    }

    /// <summary>host:port of the gRPC listener.</summary>
    public string Address => server.Address ?? "";

    /// <summary>host:port of the bulk channel, or null (gRPC only).</summary>
    public string? BulkAddress => server.BulkAddress;

    public Uri? MetricsUri => server.MetricsUri;

    public MdsCore Core => core;

    public static async Task<MdsHost> StartAsync(MdsHostOptions o, CancellationToken ct = default)
    {
        var metrics = new MdsMetrics();
        MdsCore? core = null;
        try
        {
            core = await MdsCore.OpenAsync(new MdsCoreOptions
            {
                DataDir = o.DataDir,
                OstDownAfter = o.OstDownAfter,
                LoggerFactory = o.LoggerFactory,
                Token = o.Token,
                OnCommitBatch = metrics.RecordBatch,
                ClientLease = o.ClientLease,
                LockCallbackTimeout = o.LockCallbackTimeout,
                RecoveryWindow = o.RecoveryWindow,
            }).ConfigureAwait(false);
            metrics.Attach(core);
            var service = new MdsService(core);
            var server = await RpcServer.StartAsync(new RpcServerOptions
            {
                Host = o.ListenHost,
                Port = o.Port,
                MetricsPort = o.MetricsPort,
                BulkPort = o.BulkPort,
                Token = o.Token,
                LoggerFactory = o.LoggerFactory,
                Health = () => core.Model.Healthy,
            }, [service.Build()], ct).ConfigureAwait(false);
            service.BulkAddress = server.BulkAddress ?? "";
            o.LoggerFactory.CreateLogger<MdsHost>().Serving(server.Address, o.DataDir, core.BootId);
            return new MdsHost(core, metrics, server);
        }
        catch
        {
            if (core is not null)
            {
                await core.DisposeAsync().ConfigureAwait(false);
            }

            metrics.Dispose();
            throw;
        }
    }

    public async Task StopAsync()
    {
        if (stopped)
        {
            return;
        }

        stopped = true;
        await server.StopAsync().ConfigureAwait(false);
        await server.DisposeAsync().ConfigureAwait(false);
        await core.DisposeAsync().ConfigureAwait(false);
        metrics.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
