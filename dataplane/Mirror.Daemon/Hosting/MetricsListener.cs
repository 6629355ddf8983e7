using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mirror.Rpc.Metrics;

namespace Mirror.Daemon.Hosting;

/// <summary>
/// GET /metrics (Prometheus text 0.0.4 of every "Mirror.*" Meter) and GET /healthz over HTTP/1.1, for a role
/// that has no RPC server of its own to carry them (the mount; ARCHITECTURE §6: every mirrord role serves
/// /metrics). The mds and ost roles get the same endpoint from Mirror.Rpc's RpcServer.
/// </summary>
internal sealed class MetricsListener : IAsyncDisposable
{
    private readonly WebApplication app;

    private MetricsListener(WebApplication app, Uri uri)
    {
        this.app = app;
        Uri = uri;
    }

    /// <summary>http://HOST:PORT/ with the port actually bound.</summary>
    public Uri Uri { get; }

    /// <summary>Listens on <paramref name="host"/>:<paramref name="port"/> (0 = an ephemeral port).</summary>
    public static async Task<MetricsListener> StartAsync(string host, int port, ILoggerFactory loggers, Func<bool>? health, CancellationToken ct)
    {
        var exporter = PrometheusExporter.Default; // counting starts when the exporter exists
        var address = Resolve(host);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggers);
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, port, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.Run(http => ServeAsync(http, exporter, health));
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"--metrics {host}:{port}: cannot listen ({e.Message})", e);
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            .Select(a => Uri.TryCreate(a, UriKind.Absolute, out var u) ? u : null)
            .FirstOrDefault(u => u is not null)?.Port ?? port;
        var shown = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        return new MetricsListener(app, new Uri($"http://{shown}:{bound}/"));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    private static IPAddress Resolve(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        "*" or "" => IPAddress.Any,
        _ => IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host)[0],
    };

    private static async Task ServeAsync(HttpContext http, PrometheusExporter exporter, Func<bool>? health)
    {
        var response = http.Response;
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        switch (http.Request.Path.Value)
        {
            case "/metrics":
                response.ContentType = PrometheusExporter.ContentType;
                await response.WriteAsync(exporter.Render(), http.RequestAborted).ConfigureAwait(false);
                break;
            case "/healthz":
                var healthy = health?.Invoke() ?? true;
                response.StatusCode = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync(healthy ? "ok\n" : "unhealthy\n", http.RequestAborted).ConfigureAwait(false);
                break;
            default:
                response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }

    /// <summary>The host starts and stops when the role says so; signals belong to DaemonMain.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
