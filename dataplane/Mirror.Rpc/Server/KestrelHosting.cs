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

namespace Mirror.Rpc.Server;

/// <summary>
/// Builds the in-process Kestrel hosts: no configuration files, no environment variables, no console
/// lifetime (the embedding process owns SIGTERM), logging only through the factory we are given.
/// </summary>
internal static class KestrelHosting
{
    /// <summary>HTTP/2 windows large enough that multi-MiB messages stream without waiting on WINDOW_UPDATEs.</summary>
    private const int ConnectionWindowBytes = 16 * 1024 * 1024;
    private const int StreamWindowBytes = 8 * 1024 * 1024;

    public static WebApplication BuildGrpc(RpcServerOptions options, ILoggerFactory loggerFactory, RequestDelegate handler)
    {
        var builder = CreateBuilder(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Message sizes are enforced per message (RESOURCE_EXHAUSTED), not per body.
            kestrel.Limits.MaxRequestBodySize = null;
            // A slow reader of a server stream is paced by flow control, not killed by a data-rate rule.
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            kestrel.Limits.Http2.InitialConnectionWindowSize = ConnectionWindowBytes;
            kestrel.Limits.Http2.InitialStreamWindowSize = StreamWindowBytes;
            if (options.Host is { } host)
            {
                kestrel.Listen(ResolveHost(host), options.Port, listen => listen.Protocols = HttpProtocols.Http2);
            }

            if (options.UnixSocketPath is { } socket)
            {
                kestrel.ListenUnixSocket(socket, listen => listen.Protocols = HttpProtocols.Http2);
            }
        });
        var app = builder.Build();
        app.Run(handler);
        return app;
    }

    /// <summary>The HTTP/1.1 host of a <see cref="MetricsListener"/>.</summary>
    public static WebApplication BuildMetrics(IPAddress address, int port, ILoggerFactory loggerFactory, RequestDelegate handler)
    {
        var builder = CreateBuilder(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, port, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.Run(handler);
        return app;
    }

    /// <summary>The TCP port Kestrel bound (the real one when 0 was asked for).</summary>
    public static int BoundTcpPort(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            if (!address.StartsWith("http://unix:", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(address, UriKind.Absolute, out var uri))
            {
                return uri.Port;
            }
        }

        throw new InvalidOperationException($"Kestrel reported no TCP address (addresses: {string.Join(", ", addresses)})");
    }

    public static IPAddress ResolveHost(string host)
    {
        if (host is "localhost")
        {
            return IPAddress.Loopback;
        }

        if (host is "*" or "")
        {
            return IPAddress.Any;
        }

        return IPAddress.TryParse(host.Trim('[', ']'), out var ip) ? ip : Dns.GetHostAddresses(host)[0];
    }

    private static WebApplicationBuilder CreateBuilder(ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.UseKestrelCore();
        return builder;
    }

    /// <summary>The host starts and stops when RpcServer or MetricsListener says so, and ignores process signals.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
