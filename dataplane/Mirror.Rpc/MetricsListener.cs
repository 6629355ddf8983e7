using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Rpc.Metrics;
using Mirror.Rpc.Server;

namespace Mirror.Rpc;

/// <summary>
/// An HTTP/1.1 listener for GET/HEAD <c>/metrics</c> (Prometheus text 0.0.4 of every "Mirror.*" Meter) and
/// <c>/healthz</c> (ARCHITECTURE §6: every mirrord role serves /metrics). <see cref="RpcServer"/> runs one
/// beside its gRPC port (<see cref="RpcServerOptions.MetricsPort"/>); a process without an RPC server (the
/// FUSE mount) starts one by itself.
/// </summary>
public sealed class MetricsListener : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly object gate = new();
    private Task? stopped;

    private MetricsListener(WebApplication app, string address)
    {
        this.app = app;
        Address = address;
        Uri = new Uri($"http://{address}/");
    }

    /// <summary>host:port with the port actually bound ("[::1]:PORT" for IPv6).</summary>
    public string Address { get; }

    /// <summary>http://HOST:PORT/ with the port actually bound.</summary>
    public Uri Uri { get; }

    /// <summary>
    /// Listens on <paramref name="host"/> ("localhost", "*", an IP or a name) and <paramref name="port"/>
    /// (0 = an ephemeral port). <paramref name="health"/> answers /healthz: true = 200 "ok", false or a
    /// throw = 503; null = always healthy. Throws IOException naming host:port when the port cannot be bound.
    /// </summary>
    public static async Task<MetricsListener> StartAsync(string host, int port, ILoggerFactory? loggerFactory = null, Func<bool>? health = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        var exporter = PrometheusExporter.Default; // instruments are counted from the moment the exporter exists
        var ip = KestrelHosting.ResolveHost(host);
        var endpoint = new MetricsEndpoint(exporter, health);
        var app = KestrelHosting.BuildMetrics(ip, port, loggerFactory ?? NullLoggerFactory.Instance, endpoint.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            if (e is IOException)
            {
                throw new IOException($"metrics listener {host}:{port}: cannot listen ({e.Message})", e);
            }

            throw;
        }

        var bound = KestrelHosting.BoundTcpPort(app);
        var shown = ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]:{bound}" : $"{ip}:{bound}";
        return new MetricsListener(app, shown);
    }

    /// <summary>Stops listening; a scrape in progress gets until <paramref name="cancellationToken"/> fires. Safe to call more than once.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return stopped ??= StopCoreAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
