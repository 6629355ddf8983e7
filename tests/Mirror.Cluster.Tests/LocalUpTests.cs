using System.Net;
using System.Runtime.Versioning;
using Mirror.Cluster.Tests.Harness;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;

namespace Mirror.Cluster.Tests;

/// <summary>`mirrorctl local up` on a fresh folder, and what the running cluster answers (read-only checks).</summary>
public sealed class LocalUpTests(SharedCluster shared) : IClassFixture<SharedCluster>
{
    private readonly LocalCluster cluster = shared.Cluster;

    [Fact]
    public async Task Status_ListsOneMdsAndFourOstsRunningWithTheirLabelsAndPools()
    {
        var (exit, status) = await cluster.RefreshAsync();

        Assert.Equal(0, exit);
        Assert.Equal(cluster.Dir, status.Dir);
        Assert.Equal(["mds-0", "ost-0", "ost-1", "ost-2", "ost-3"], status.Processes.Select(p => p.Name));
        Assert.All(status.Processes, p =>
        {
            Assert.True(p.Running, $"{p.Name} should run");
            Assert.StartsWith("127.0.0.1:", p.Address);
            Assert.True(LocalCluster.IsMirrord(p.Pid, p.Data), $"{p.Name} pid {p.Pid} should be mirrord on {p.Data}");
            Assert.True(Directory.Exists(p.Data), $"{p.Data} should exist");
        });
        Assert.Equal("mds", status["mds-0"].Role);
        Assert.Equal(status["mds-0"].Address, status.Mds);
        foreach (var name in new[] { "ost-0", "ost-1" })
        {
            Assert.Equal(("ost", "flash", "ssd"), (status[name].Role, status[name].Pool, string.Join(',', status[name].Labels)));
        }

        foreach (var name in new[] { "ost-2", "ost-3" })
        {
            Assert.Equal(("ost", "archive", "hdd"), (status[name].Role, status[name].Pool, string.Join(',', status[name].Labels)));
        }

        var osts = status.Processes.Where(p => p.Role == "ost").ToList();
        Assert.Equal(osts.Count, osts.Select(p => p.FailureDomain).Distinct().Count());
        Assert.Equal(5, status.Processes.Select(p => p.Address).Distinct().Count());
        Assert.Empty(status.Mountpoints);
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public void Up_CreatesAnOwnerOnlyTokenAndReportsProgress()
    {
        var token = File.ReadAllText(cluster.TokenFile).Trim();
        Assert.Matches("^[0-9a-f]{64}$", token);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cluster.TokenFile));
        Assert.Contains("mds-0 ready on", cluster.UpResult.Stdout);
        Assert.Contains("ost-3 ready on", cluster.UpResult.Stdout);
    }

    [Fact]
    public async Task EveryProcess_ServesMirrorMetricsAndHealthz()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var process in cluster.Processes)
        {
            var metricsUri = new Uri(new Uri(process.Metrics), "/metrics");
            using var metrics = await http.GetAsync(metricsUri);
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            var text = await metrics.Content.ReadAsStringAsync();
            Assert.True(text.Split('\n').Any(l => l.StartsWith("mirror_", StringComparison.Ordinal)), $"{process.Name} {metricsUri} has no mirror_ metric:\n{text}");

            using var health = await http.GetAsync(new Uri(new Uri(process.Metrics), "/healthz"));
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
    }

    [Fact]
    public async Task UpAgain_SaysSoAndChangesNothing()
    {
        var before = (await cluster.RefreshAsync()).Status;

        var again = await cluster.RunCtlAsync("local", "up", "--dir", cluster.Dir);

        Assert.True(again.Exit == 0, again.ToString());
        Assert.Contains("already running", again.Stdout);
        var after = (await cluster.RefreshAsync()).Status;
        Assert.Equal(before.Processes.Select(p => (p.Name, p.Pid, p.Address)), after.Processes.Select(p => (p.Name, p.Pid, p.Address)));
    }

    [Fact]
    public async Task StopOfAnUnknownName_ExitsTwoNamingItAndChangesNothing()
    {
        var clusterFile = Path.Combine(cluster.Dir, "cluster.json");
        var before = await File.ReadAllTextAsync(clusterFile);

        var result = await cluster.RunCtlAsync("local", "stop", "nosuch");

        Assert.Equal(2, result.Exit);
        Assert.Contains("nosuch", result.Stderr);
        Assert.Contains("ost-1", result.Stderr);
        Assert.Equal(before, await File.ReadAllTextAsync(clusterFile));
        Assert.Equal(0, (await cluster.RefreshAsync()).Exit);
    }

    [Fact]
    public async Task ACallWithoutTheToken_IsRefused()
    {
        using var anonymous = RpcChannel.ForAddress(cluster.MdsAddress, token: null);
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            anonymous.UnaryAsync<Empty, ListOstsReply>(MdsMethods.ListOsts, new Empty(), new CallOptions(Timeout: TimeSpan.FromSeconds(10))));
        Assert.Equal(StatusCode.Unauthenticated, refused.Status);

        using var wrong = RpcChannel.ForAddress(cluster.MdsAddress, token: new string('0', 64));
        var wrongRefused = await Assert.ThrowsAsync<RpcException>(() =>
            wrong.UnaryAsync<Empty, ListOstsReply>(MdsMethods.ListOsts, new Empty(), new CallOptions(Timeout: TimeSpan.FromSeconds(10))));
        Assert.Equal(StatusCode.Unauthenticated, wrongRefused.Status);
    }

    [Fact]
    public async Task TheMds_ListsEveryOstAsUpWithItsPoolAndLabels()
    {
        using var channel = RpcChannel.ForAddress(cluster.MdsAddress, cluster.Token);
        var reply = await channel.UnaryAsync<Empty, ListOstsReply>(MdsMethods.ListOsts, new Empty(), new CallOptions(Timeout: TimeSpan.FromSeconds(10)));

        foreach (var process in cluster.Processes.Where(p => p.Role == "ost"))
        {
            var ost = Assert.Single(reply.Osts, o => o.Index == process.Index);
            Assert.True(ost.Up, $"{process.Name} should be up in the MDS");
            Assert.Equal(process.Address, ost.Address);
            Assert.Equal(process.Pool, ost.Pool);
            Assert.Equal(process.Labels, ost.Labels);
        }
    }
}
