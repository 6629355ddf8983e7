using Microsoft.AspNetCore.Http;
using Mirror.Rpc.Metrics;

namespace Mirror.Rpc.Server;

/// <summary>What a <see cref="MetricsListener"/> answers: GET/HEAD /metrics (Prometheus text 0.0.4) and /healthz.</summary>
internal sealed class MetricsEndpoint(PrometheusExporter exporter, Func<bool>? health)
{
    public async Task HandleAsync(HttpContext http)
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
                var healthy = IsHealthy();
                response.StatusCode = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync(healthy ? "ok\n" : "unhealthy\n", http.RequestAborted).ConfigureAwait(false);
                break;
            default:
                response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }

    /// <summary>A health callback that throws is an unhealthy process, not a failed probe request.</summary>
    private bool IsHealthy()
    {
        try
        {
            return health?.Invoke() ?? true;
        }
        catch (Exception)
        {
            return false;
        }
    }
}
