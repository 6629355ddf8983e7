using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Rpc.Server;

namespace Mirror.Rpc;

/// <summary>
/// A gRPC server on Kestrel: HTTP/2 with prior knowledge on TCP and/or a unix socket, unary and
/// server-streaming methods from <see cref="RpcServiceBuilder"/>s, the cluster token check, and an
/// HTTP/1.1 side listener for /metrics and /healthz.
/// </summary>
public sealed class RpcServer : IAsyncDisposable
{
    /// <summary>How long StopAsync lets in-flight calls finish after they were told to stop.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource stopping = new();
    private readonly RpcServerOptions options;
    private readonly ILogger logger;
    private WebApplication? grpcApp;
    private MetricsListener? metrics;
    private Bulk.BulkListener? bulk;
    private Task? stopped;

    private RpcServer(RpcServerOptions options, ILogger logger)
    {
        this.options = options;
        this.logger = logger;
    }

    /// <summary>host:port of the gRPC TCP listener (the real port when 0 was asked for).</summary>
    public string? Address { get; private set; }

    /// <summary>host:port of the bulk data channel, or null when <see cref="RpcServerOptions.BulkPort"/> is not set.</summary>
    public string? BulkAddress { get; private set; }

    /// <summary>http://127.0.0.1:PORT of the metrics listener, or null.</summary>
    public Uri? MetricsUri { get; private set; }

    /// <summary>The unix socket the server listens on, or null.</summary>
    public string? UnixSocketPath => options.UnixSocketPath;

    public static async Task<RpcServer> StartAsync(RpcServerOptions options, IEnumerable<RpcServiceBuilder> services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Host is null && options.UnixSocketPath is null)
        {
            throw new ArgumentException("RpcServerOptions needs a Host or a UnixSocketPath to listen on", nameof(options));
        }

        var methods = new Dictionary<string, RpcMethod>(StringComparer.Ordinal);
        foreach (var method in services.SelectMany(s => s.Methods))
        {
            if (!methods.TryAdd(method.FullName, method))
            {
                throw new InvalidOperationException($"method {method.FullName} is registered by two services");
            }
        }

        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var server = new RpcServer(options, loggerFactory.CreateLogger("Mirror.Rpc.Server"));
        try
        {
            await server.ListenAsync(methods, loggerFactory, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        ServerLog.Listening(server.logger, server.Address, options.UnixSocketPath, server.MetricsUri);
        return server;
    }

    /// <summary>
    /// Cancels in-flight calls (their handlers see ServerCallContext.CancellationToken fire and the
    /// callers get UNAVAILABLE), lets them finish for a few seconds, closes both listeners and removes
    /// the unix socket. Safe to call more than once.
    /// </summary>
    public Task StopAsync()
    {
        lock (stopping)
        {
            return stopped ??= StopCoreAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        stopping.Dispose();
    }

    private async Task ListenAsync(Dictionary<string, RpcMethod> methods, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (options.UnixSocketPath is { } socket && File.Exists(socket))
        {
            // A socket left by a killed predecessor would make the bind fail.
            File.Delete(socket);
        }

        var dispatcher = new CallDispatcher(methods, options, stopping.Token, logger);
        grpcApp = KestrelHosting.BuildGrpc(options, loggerFactory, dispatcher.HandleAsync);
        await grpcApp.StartAsync(cancellationToken).ConfigureAwait(false);
        if (options.Host is { } host)
        {
            var port = KestrelHosting.BoundTcpPort(grpcApp);
            var ip = KestrelHosting.ResolveHost(host);
            Address = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]:{port}" : $"{ip}:{port}";
        }

        if (options.BulkPort is { } bulkPort)
        {
            var ip = KestrelHosting.ResolveHost(options.Host ?? throw new ArgumentException("the bulk channel needs a TCP Host", nameof(options)));
            bulk = Bulk.BulkListener.Start(ip, bulkPort, methods, options, stopping.Token, logger);
            BulkAddress = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]:{bulk.EndPoint.Port}" : $"{ip}:{bulk.EndPoint.Port}";
            ServerLog.BulkListening(logger, BulkAddress);
        }

        if (options.MetricsPort is { } metricsPort)
        {
            metrics = await MetricsListener.StartAsync("127.0.0.1", metricsPort, loggerFactory, options.Health, cancellationToken).ConfigureAwait(false);
            MetricsUri = metrics.Uri;
        }
    }

    private async Task StopCoreAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        if (bulk is not null)
        {
            await bulk.DisposeAsync().ConfigureAwait(false);
        }

        using var drain = new CancellationTokenSource(DrainTimeout);
        try
        {
            if (grpcApp is not null)
            {
                try
                {
                    await grpcApp.StopAsync(drain.Token).ConfigureAwait(false);
                }
                finally
                {
                    await grpcApp.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (metrics is not null)
            {
                await metrics.StopAsync(drain.Token).ConfigureAwait(false);
            }
        }

        if (options.UnixSocketPath is { } socket && File.Exists(socket))
        {
            File.Delete(socket);
        }

        ServerLog.Stopped(logger, Address, options.UnixSocketPath);
    }
}
