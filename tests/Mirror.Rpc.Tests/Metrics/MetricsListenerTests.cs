using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Mirror.Rpc.Tests.Support;

namespace Mirror.Rpc.Tests.Metrics;

/// <summary>The stand-alone /metrics and /healthz listener (what the mount role runs without an RpcServer).</summary>
public sealed class MetricsListenerTests
{
    [Fact]
    public async Task Serves_every_mirror_meter_at_metrics_on_the_port_it_reports()
    {
        using var meter = new Meter("Mirror.ListenerTest");
        var counter = meter.CreateCounter<long>("mirror_listener_test_hits_total");
        await using var listener = await MetricsListener.StartAsync("127.0.0.1", 0);
        counter.Add(3);
        using var http = new HttpClient { Timeout = Wait.Limit };

        using var response = await http.GetAsync(new Uri(listener.Uri, "metrics"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Matches(@"^127\.0\.0\.1:[1-9][0-9]*$", listener.Address);
        Assert.Equal(new Uri($"http://{listener.Address}/"), listener.Uri);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Contains("mirror_listener_test_hits_total 3", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listens_on_the_port_it_is_given()
    {
        var port = FreePort();
        await using var listener = await MetricsListener.StartAsync("localhost", port);
        using var http = new HttpClient { Timeout = Wait.Limit };

        Assert.Equal($"127.0.0.1:{port}", listener.Address);
        Assert.Equal("ok\n", await http.GetStringAsync($"http://127.0.0.1:{port}/healthz"));
    }

    [Theory]
    [InlineData("GET", "/healthz", HttpStatusCode.ServiceUnavailable)]
    [InlineData("HEAD", "/metrics", HttpStatusCode.OK)]
    [InlineData("POST", "/metrics", HttpStatusCode.MethodNotAllowed)]
    [InlineData("GET", "/other", HttpStatusCode.NotFound)]
    public async Task Answers_each_request_by_method_and_path(string method, string path, HttpStatusCode expected)
    {
        await using var listener = await MetricsListener.StartAsync("127.0.0.1", 0, health: () => false);
        using var http = new HttpClient { Timeout = Wait.Limit };

        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(listener.Uri, path)));

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task A_health_callback_that_throws_is_unhealthy()
    {
        await using var listener = await MetricsListener.StartAsync("127.0.0.1", 0, health: () => throw new InvalidOperationException("probe"));
        using var http = new HttpClient { Timeout = Wait.Limit };

        using var response = await http.GetAsync(new Uri(listener.Uri, "healthz"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task A_taken_port_fails_start_naming_host_and_port()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var e = await Assert.ThrowsAsync<IOException>(() => MetricsListener.StartAsync("127.0.0.1", port));

        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_dispose_the_port_refuses_connections()
    {
        var listener = await MetricsListener.StartAsync("127.0.0.1", 0);
        var port = listener.Uri.Port;

        await listener.DisposeAsync();
        await listener.DisposeAsync(); // a second dispose is harmless

        using var client = new TcpClient();
        var refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Wait.Limit));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
