using System.Net;
using System.Net.Sockets;
using Mirror.Cluster.Tests.Harness;
using Mirror.Posix.Tests.Harness;

namespace Mirror.Posix.Tests;

/// <summary>The mount process's /metrics (ARCHITECTURE §6) and its cache and metrics options.</summary>
public sealed class MountMetricsTests(ClusterOnly fixture) : IClassFixture<ClusterOnly>
{
    private LocalCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task The_mount_serves_fuse_ops_by_opcode_errors_by_errno_and_its_client_rpcs()
    {
        await using var mount = await MountProcess.StartAsync(Cluster);
        Assert.Equal("127.0.0.1", mount.MetricsUri().Host);
        // Logged: the ready line comes after the ready file, and the console logger writes on a thread of its own.
        await Wait.UntilAsync(() => mount.Log.Contains(mount.MetricsUri().ToString(), StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the mount's ready line naming its /metrics");

        var name = $"m-{Guid.NewGuid():N}";
        File.WriteAllText(mount[name], "metrics");
        Assert.False(File.Exists(mount[name + ".missing"]));

        var text = await mount.MetricsAsync();
        Assert.Contains("# TYPE mirror_fuse_request_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("mirror_fuse_request_seconds_bucket{op=\"create\",le=", text, StringComparison.Ordinal);
        Assert.True(await mount.FuseOpsAsync("create") >= 1);
        Assert.True(await mount.FuseOpsAsync("write") >= 1);
        Assert.True(await mount.MetricAsync("mirror_fuse_errors_total{errno=\"ENOENT\",op=\"lookup\"}") >= 1);
        Assert.True(await mount.MetricAsync("mirror_rpc_client_duration_seconds_count{method=\"/mirror.mds.Mds/Create\"}") >= 1, text);
    }

    [Fact]
    public async Task Metrics_listens_where_it_is_told()
    {
        var port = FreePort();
        await using var mount = await MountProcess.StartAsync(Cluster, "/", "--metrics", $"127.0.0.1:{port}");
        Assert.Equal(new Uri($"http://127.0.0.1:{port}/"), mount.MetricsUri());
        using var http = new HttpClient();
        Assert.Equal("ok\n", await http.GetStringAsync(new Uri(mount.MetricsUri(), "healthz")));
    }

    [Theory]
    [InlineData("--attr-timeout", "soon")]
    [InlineData("--attr-timeout", "-1")]
    [InlineData("--entry-timeout", "3601")]
    [InlineData("--negative-timeout", "1s")]
    [InlineData("--metrics", "no-port")]
    public async Task A_bad_cache_or_metrics_option_exits_2_naming_it(string option, string value)
    {
        var never = Directory.CreateTempSubdirectory("mirror-mnt-never-").FullName;
        try
        {
            var run = await CtlRunner.RunDllAsync("mirrord.dll", ["mount", "--mdt", Cluster.MdsAddress, "--token-file", Cluster.TokenFile, "--path", "/", option, value, never]);
            Assert.Equal(2, run.Exit);
            Assert.Contains(option, run.Stderr, StringComparison.Ordinal);
            Assert.Null(MountProcess.MountinfoLine(never));
        }
        finally
        {
            Directory.Delete(never);
        }
    }

    [Fact]
    public async Task Help_names_the_cache_options_and_their_trade_off()
    {
        var help = await CtlRunner.RunDllAsync("mirrord.dll", ["mount", "--help"]);
        Assert.Equal(0, help.Exit);
        foreach (var text in new[] { "--attr-timeout", "--entry-timeout", "--negative-timeout", "--metrics", "close-to-open", "stale" })
        {
            Assert.Contains(text, help.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Fractional_timeouts_are_accepted()
    {
        await using var mount = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", "0.25", "--entry-timeout", "2.5", "--negative-timeout", "0");
        var name = $"frac-{Guid.NewGuid():N}";
        File.WriteAllText(mount[name], "ok");
        Assert.Equal("ok", File.ReadAllText(mount[name]));
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
