using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Core.Errors;
using Mirror.Protocol.Mds;
using Mirror.Rpc;

namespace Mirror.Ost.Host;

/// <summary>
/// A running OST: an <see cref="OstTarget"/> over the data dir, served by an <see cref="RpcServer"/>
/// with the cluster token, registered with the MDS by a heartbeat. <c>mirrord ost</c> and the local
/// cluster run this; tests start several in one process.
/// </summary>
public sealed partial class OstHost : IAsyncDisposable
{
    private readonly OstTarget target;
    private readonly RpcServer server;
    private readonly ILogger logger;
    private MdsHeartbeat? heartbeat;
    private int stopped;

    private OstHost(OstTarget target, RpcServer server, ILogger logger)
    {
        this.target = target;
        this.server = server;
        this.logger = logger;
    }

    /// <summary>host:port of the OST's gRPC endpoint.</summary>
    public string Address => server.Address ?? throw new InvalidOperationException("the RPC server has no TCP listener");

    public Uri? MetricsUri => server.MetricsUri;

    public int Index => target.Index;

    public string Uuid => target.Identity.Uuid;

    public OstTarget Target => target;

    /// <summary>Registrations the MDS has acknowledged so far.</summary>
    public long HeartbeatsAcknowledged => heartbeat?.Beats ?? 0;

    public static async Task<OstHost> StartAsync(OstHostOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DataDir))
        {
            throw new MirrorException(Errno.EINVAL, "OST data dir is empty");
        }

        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger<OstHost>();
        var target = OstTarget.Open(options.Index, options.DataDir, options.CommitInterval, loggerFactory);
        RpcServer server;
        try
        {
            server = await RpcServer.StartAsync(
                new RpcServerOptions
                {
                    Host = options.ListenHost,
                    Port = options.Port,
                    Token = options.Token,
                    MetricsPort = options.MetricsPort,
                    BulkPort = options.BulkPort,
                    LoggerFactory = loggerFactory,
                    // Room for a maximal write plus the message's own fields.
                    MaxMessageBytes = Objects.ObjectStore.MaxIoBytes + (64 * 1024),
                },
                [target.Service.Build()],
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            target.Dispose();
            throw;
        }

        target.Service.BulkAddress = BulkAddressFor(server, options);
        var host = new OstHost(target, server, logger);
        LogStarted(logger, options.Index, host.Address, target.DataDir, target.Journal.LastCommitted);
        if (!string.IsNullOrWhiteSpace(options.MdsAddress))
        {
            host.heartbeat = new MdsHeartbeat(options.MdsAddress, options.Token, () => host.Describe(options), options.HeartbeatInterval, logger);
        }

        return host;
    }

    /// <summary>Stops heartbeats, then the server (in-flight calls finish), then commits and closes the data dir.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref stopped, 1) != 0)
        {
            return;
        }

        if (heartbeat is not null)
        {
            await heartbeat.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await server.StopAsync().ConfigureAwait(false);
            await server.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            target.Dispose();
            LogStopped(logger, target.Index, target.Journal.LastCommitted);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>The bulk channel as clients reach it: on the advertised host when there is one.</summary>
    private static string BulkAddressFor(RpcServer server, OstHostOptions options)
    {
        if (server.BulkAddress is not { } bulk)
        {
            return "";
        }

        if (string.IsNullOrWhiteSpace(options.AdvertiseAddress))
        {
            return bulk;
        }

        var advertised = options.AdvertiseAddress;
        var colon = advertised.LastIndexOf(':');
        return (colon > 0 ? advertised[..colon] : advertised) + bulk[bulk.LastIndexOf(':')..];
    }

    private RegisterOstRequest Describe(OstHostOptions options)
    {
        var statfs = target.Store.Statfs();
        var request = new RegisterOstRequest
        {
            Index = (uint)options.Index,
            Address = string.IsNullOrWhiteSpace(options.AdvertiseAddress) ? Address : options.AdvertiseAddress,
            Pool = options.Pool,
            FailureDomain = options.FailureDomain,
            TotalBytes = statfs.TotalBytes,
            FreeBytes = statfs.FreeBytes,
            Uuid = target.Identity.Uuid,
        };
        request.Labels.AddRange(options.Labels);
        return request;
    }

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "OST {OstIndex} serving {Address} from {DataDir}, last_committed {LastCommitted}")]
    private static partial void LogStarted(ILogger logger, int ostIndex, string address, string dataDir, ulong lastCommitted);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "OST {OstIndex} stopped, last_committed {LastCommitted}")]
    private static partial void LogStopped(ILogger logger, int ostIndex, ulong lastCommitted);
}
