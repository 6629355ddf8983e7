using System.Net;
using Mirror.Rpc.Tests.Proto;
using Mirror.Rpc.Tests.Support;

namespace Mirror.Rpc.Tests.Metrics;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_lists_the_request_counter_of_a_called_method_on_both_sides()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);
        await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request());
        await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Fail, EchoService.Request("x", errno: Core.Errors.Errno.ENOENT)));
        using var http = new HttpClient { Timeout = Wait.Limit };

        using var response = await http.GetAsync(new Uri(server.Server.MetricsUri!, "/metrics"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Contains("# TYPE mirror_rpc_server_requests_total counter", text);
        Assert.Contains("mirror_rpc_server_requests_total{code=\"OK\",method=\"/mirror.rpc.test.Echo/Echo\"}", text);
        Assert.Contains("mirror_rpc_server_requests_total{code=\"NotFound\",method=\"/mirror.rpc.test.Echo/Fail\"}", text);
        Assert.Contains("mirror_rpc_client_requests_total{code=\"OK\",method=\"/mirror.rpc.test.Echo/Echo\"}", text);
        Assert.Contains("mirror_rpc_server_duration_seconds_bucket{method=\"/mirror.rpc.test.Echo/Echo\",le=\"0.0005\"}", text);
    }

    [Fact]
    public async Task Unknown_paths_share_one_method_label()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);
        await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<EchoRequest, EchoReply>($"/scan/{Guid.NewGuid():N}", EchoService.Request()));
        using var http = new HttpClient { Timeout = Wait.Limit };

        var text = await http.GetStringAsync(new Uri(server.Server.MetricsUri!, "/metrics"));

        Assert.Contains("mirror_rpc_server_requests_total{code=\"Unimplemented\",method=\"unknown\"}", text);
        var serverLines = text.Split('\n').Where(l => l.StartsWith("mirror_rpc_server", StringComparison.Ordinal));
        Assert.DoesNotContain(serverLines, l => l.Contains("/scan/", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true, HttpStatusCode.OK)]
    [InlineData(false, HttpStatusCode.ServiceUnavailable)]
    public async Task Healthz_follows_the_health_callback(bool healthy, HttpStatusCode expected)
    {
        await using var server = await EchoServer.StartAsync(health: () => healthy);
        using var http = new HttpClient { Timeout = Wait.Limit };

        using var response = await http.GetAsync(new Uri(server.Server.MetricsUri!, "/healthz"));

        Assert.Equal(expected, response.StatusCode);
        if (healthy)
        {
            Assert.Equal("ok\n", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Healthz_is_503_when_the_health_callback_throws()
    {
        await using var server = await EchoServer.StartAsync(health: () => throw new InvalidOperationException("store closed"));
        using var http = new HttpClient { Timeout = Wait.Limit };

        using var response = await http.GetAsync(new Uri(server.Server.MetricsUri!, "/healthz"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task No_metrics_port_means_no_metrics_listener()
    {
        await using var server = await EchoServer.StartAsync(metricsPort: null);

        Assert.Null(server.Server.MetricsUri);
    }
}
