using Mirror.Cluster.Tests.Harness;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;

namespace Mirror.Cluster.Tests;

/// <summary>Stopping, killing and restarting processes of a local cluster; each test owns its cluster.</summary>
public sealed class LocalLifecycleTests : IAsyncLifetime
{
    private LocalCluster cluster = null!;

    public async Task InitializeAsync() => cluster = await LocalCluster.StartAsync();

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    [Fact]
    public async Task StopOst1_ShowsItDown_StartRunsItAgainOnTheSameAddress()
    {
        var before = cluster.Status["ost-1"];

        var stop = await cluster.RunCtlAsync("local", "stop", "ost-1");

        Assert.True(stop.Exit == 0, stop.ToString());
        Assert.False(LocalCluster.IsMirrord(before.Pid, before.Data), "ost-1 should be gone after local stop");
        var (downExit, down) = await cluster.RefreshAsync();
        Assert.Equal(3, downExit);
        Assert.False(down["ost-1"].Running);
        Assert.All(down.Processes.Where(p => p.Name != "ost-1"), p => Assert.True(p.Running, $"{p.Name} should still run"));
        Assert.Contains("stopped", await File.ReadAllTextAsync(before.Log));

        await cluster.StartAsync("ost-1");

        var (upExit, up) = await cluster.RefreshAsync();
        Assert.Equal(0, upExit);
        Assert.True(up["ost-1"].Running);
        Assert.Equal(before.Address, up["ost-1"].Address);
        Assert.Equal(before.Metrics, up["ost-1"].Metrics);
        Assert.NotEqual(before.Pid, up["ost-1"].Pid);
    }

    [Fact]
    public async Task KillMds_ThenStartIt_ClusterAnswersAgainWithEveryOst()
    {
        var before = cluster.Status["mds-0"];

        await cluster.KillAsync("mds-0");

        var (downExit, down) = await cluster.RefreshAsync();
        Assert.Equal(3, downExit);
        Assert.False(down["mds-0"].Running);

        await cluster.StartAsync("mds-0");

        var (upExit, up) = await cluster.RefreshAsync();
        Assert.Equal(0, upExit);
        Assert.Equal(before.Address, up.Mds);
        using var channel = RpcChannel.ForAddress(up.Mds, cluster.Token);
        var osts = await channel.UnaryAsync<Empty, ListOstsReply>(MdsMethods.ListOsts, new Empty(), new CallOptions(Timeout: TimeSpan.FromSeconds(10)));
        Assert.Equal([0, 1, 2, 3], osts.Osts.Where(o => o.Up).Select(o => (int)o.Index).Order());
    }

    [Fact]
    public async Task UpAfterAKill_RestartsOnlyTheDeadProcessOnItsPort()
    {
        var before = cluster.Status;
        await cluster.KillAsync("ost-2");

        var up = await cluster.RunCtlAsync("local", "up");

        Assert.True(up.Exit == 0, up.ToString());
        Assert.Contains("starting ost-2", up.Stdout);
        Assert.DoesNotContain("starting ost-1", up.Stdout);
        var (exit, after) = await cluster.RefreshAsync();
        Assert.Equal(0, exit);
        Assert.Equal(before["ost-2"].Address, after["ost-2"].Address);
        Assert.Equal(before.Processes.Where(p => p.Name != "ost-2").Select(p => p.Pid), after.Processes.Where(p => p.Name != "ost-2").Select(p => p.Pid));
    }

    [Fact]
    public async Task StartOnAPortTakenMeanwhile_FailsFastWithTheEndOfTheLog()
    {
        var before = cluster.Status["ost-3"];
        Assert.Equal(0, (await cluster.RunCtlAsync("local", "stop", "ost-3")).Exit);
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, TcpConnections.Port(before.Address));
        squatter.Start();

        var started = DateTime.UtcNow;
        var start = await cluster.RunCtlAsync("local", "start", "ost-3");

        Assert.True(start.Exit == 1, start.ToString());
        Assert.Contains("ost-3 exited with code", start.Stderr);
        Assert.Contains(before.Log, start.Stderr);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(50), "a child that dies must not be waited for until the ready deadline");
        var (exit, status) = await cluster.RefreshAsync();
        Assert.Equal(3, exit);
        Assert.False(status["ost-3"].Running);

        squatter.Stop();
        await cluster.StartAsync("ost-3");
        Assert.Equal(before.Address, cluster.Status["ost-3"].Address);
    }

    [Fact]
    public async Task Down_LeavesNoProcessAndKeepsTheData()
    {
        var before = cluster.Status;

        var down = await cluster.RunCtlAsync("local", "down");

        Assert.True(down.Exit == 0, down.ToString());
        Assert.All(before.Processes, p => Assert.False(LocalCluster.IsMirrord(p.Pid, p.Data), $"{p.Name} (pid {p.Pid}) should be gone"));
        var (exit, after) = await cluster.RefreshAsync();
        Assert.Equal(3, exit);
        Assert.All(after.Processes, p => Assert.False(p.Running));
        Assert.All(before.Processes, p => Assert.True(Directory.Exists(p.Data), $"{p.Data} should be kept"));
        Assert.True(File.Exists(cluster.TokenFile));
    }

    [Fact]
    public async Task DownPurge_RemovesTheFolder_StatusThenFindsNoCluster()
    {
        var before = cluster.Status;

        var down = await cluster.RunCtlAsync("local", "down", "--purge");

        Assert.True(down.Exit == 0, down.ToString());
        Assert.All(before.Processes, p => Assert.False(LocalCluster.IsMirrord(p.Pid, p.Data), $"{p.Name} (pid {p.Pid}) should be gone"));
        Assert.False(Directory.Exists(cluster.Dir));
        var status = await cluster.RunCtlAsync("local", "status");
        Assert.Equal(1, status.Exit);
        Assert.Contains("no cluster", status.Stderr);
    }
}
