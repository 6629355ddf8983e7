using System.Security.Cryptography;
using Mirror.Cluster.Tests.Harness;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;

namespace Mirror.Cluster.Tests;

/// <summary>
/// Data through a local cluster with the real mirrorctl: what survives an MDS kill -9, a read that loses
/// the OST of its mirror, and resync + verify. Each test owns its cluster.
/// </summary>
public sealed class ClusterDataTests : IAsyncLifetime
{
    private readonly string work = Directory.CreateTempSubdirectory("cluster-data-").FullName;
    private LocalCluster cluster = null!;

    public async Task InitializeAsync() => cluster = await LocalCluster.StartAsync();

    public async Task DisposeAsync()
    {
        await cluster.DisposeAsync();
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task MdsKill9AndRestart_KeepsNamespaceLayoutsAndChangelog()
    {
        await Ctl("mkdir", "-p", "/proj/sub");
        await Ctl("mirror", "create", "-N", "-p", "flash", "-N", "-p", "archive", "/proj/two");
        await Ctl("put", LocalFile("small", 100_000), "/proj/two");
        await Ctl("put", LocalFile("plain", 5_000), "/proj/sub/plain");
        var listingRoot = (await Ctl("ls", "-l", "/proj")).Stdout;
        var listingSub = (await Ctl("ls", "-l", "/proj/sub")).Stdout;
        var (layoutBefore, _) = await Layouts.GetAsync(cluster, "/proj/two");
        var changelogBefore = await ReadChangelogAsync();
        Assert.NotEmpty(changelogBefore);

        await cluster.KillAsync("mds-0");
        await cluster.StartAsync("mds-0");

        Assert.Equal(listingRoot, (await Ctl("ls", "-l", "/proj")).Stdout);
        Assert.Equal(listingSub, (await Ctl("ls", "-l", "/proj/sub")).Stdout);
        Assert.Equal(layoutBefore, (await Layouts.GetAsync(cluster, "/proj/two")).Json);
        var changelogAfter = await ReadChangelogAsync();
        Assert.Equal(changelogBefore, changelogAfter.Take(changelogBefore.Count));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(work, "small")), await GetAsync("/proj/two"));
    }

    [Fact]
    public async Task Kill9OfTheReadMirrorsOst_TheReadFailsOverWithTheSameBytes()
    {
        var source = LocalFile("big", 4 << 20);
        var expected = await File.ReadAllBytesAsync(source);
        await Ctl("mirror", "create", "-N", "-p", "flash", "-N", "-p", "archive", "/big");
        await Ctl("put", source, "/big");
        await Ctl("mirror", "resync", "/big");
        var (_, mirrors) = await Layouts.GetAsync(cluster, "/big");
        Assert.Equal(2, mirrors.Count);
        Assert.All(mirrors, m => Assert.False(m.Stale, $"mirror {m.Id} should be in sync after resync"));
        var preferred = Layouts.Preferred(mirrors);
        var other = mirrors.Single(m => m.Id != preferred.Id);
        Assert.Empty(preferred.Osts.Intersect(other.Osts));
        Assert.Equal(expected, await GetAsync("/big"));

        // Slow the first Read on each OST of the preferred mirror, start the read, and kill those OSTs once
        // the reader is connected to them: the kill lands in the middle of the read.
        var victims = preferred.Osts.Select(i => cluster.Status[$"ost-{i}"]).ToList();
        var connectedBefore = victims.ToDictionary(v => v.Name, v => TcpConnections.AcceptedOn(TcpConnections.Port(v.Address)));
        foreach (var victim in victims)
        {
            await SetFaultAsync(victim.Address, "ost.read", "delay:5000");
        }

        var output = Path.Combine(work, "read-during-kill");
        var reading = cluster.RunCtlAsync("get", "/big", output);
        await Wait.UntilAsync(
            () => reading.IsCompleted || victims.Any(v => TcpConnections.AcceptedOn(TcpConnections.Port(v.Address)) > connectedBefore[v.Name]),
            TimeSpan.FromSeconds(60),
            "the reader to connect to the preferred mirror's OST");
        if (reading.IsCompleted)
        {
            Assert.Fail($"the read finished before the kill: {await reading}");
        }

        foreach (var victim in victims)
        {
            await cluster.KillAsync(victim.Name);
        }

        var read = await reading;
        Assert.True(read.Exit == 0, read.ToString());
        Assert.Equal(expected, await File.ReadAllBytesAsync(output));

        // Reads that start with those OSTs gone get the other mirror too.
        Assert.Equal(expected, await GetAsync("/big"));
        Assert.Equal(expected, await GetAsync("/big"));
    }

    [Fact]
    public async Task ResyncAfterWrites_LeavesNoStaleMirrorAndVerifyPasses()
    {
        await Ctl("mirror", "create", "-N", "-p", "flash", "-N", "-p", "archive", "/r");
        await Ctl("put", LocalFile("first", 1 << 20), "/r");
        await Ctl("put", LocalFile("second", 300_000), "/r");

        await Ctl("mirror", "resync", "/r");

        var (_, mirrors) = await Layouts.GetAsync(cluster, "/r");
        Assert.Equal(2, mirrors.Count);
        Assert.All(mirrors, m => Assert.False(m.Stale, $"mirror {m.Id} should be in sync after resync"));
        var verify = await cluster.RunCtlAsync("mirror", "verify", "-v", "--only", string.Join(',', mirrors.Select(m => m.Id)), "/r");
        Assert.True(verify.Exit == 0, verify.ToString());
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(work, "second")), await GetAsync("/r"));
    }

    private async Task<CtlResult> Ctl(params string[] args)
    {
        var result = await cluster.RunCtlAsync(args);
        if (result.Exit != 0)
        {
            throw new InvalidOperationException($"mirrorctl {string.Join(' ', args)} failed: {result}\n{cluster.Logs()}");
        }

        return result;
    }

    private async Task<byte[]> GetAsync(string path)
    {
        var local = Path.Combine(work, "get-" + Guid.NewGuid().ToString("N"));
        await Ctl("get", path, local);
        return await File.ReadAllBytesAsync(local);
    }

    private string LocalFile(string name, int bytes)
    {
        var path = Path.Combine(work, name);
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(bytes));
        return path;
    }

    private async Task SetFaultAsync(string ostAddress, string point, string action)
    {
        using var channel = RpcChannel.ForAddress(ostAddress, cluster.Token);
        await channel.UnaryAsync<SetFaultRequest, SetFaultReply>(
            OstMethods.SetFault, new SetFaultRequest { Name = point, Action = action }, new CallOptions(Timeout: TimeSpan.FromSeconds(10)));
    }

    private async Task<List<string>> ReadChangelogAsync()
    {
        using var channel = RpcChannel.ForAddress(cluster.MdsAddress, cluster.Token);
        var records = new List<string>();
        ulong after = 0;
        while (true)
        {
            var reply = await channel.UnaryAsync<ChangelogReadRequest, ChangelogReadReply>(
                MdsMethods.ChangelogRead, new ChangelogReadRequest { AfterIndex = after, MaxRecords = 1000 }, new CallOptions(Timeout: TimeSpan.FromSeconds(10)));
            if (reply.Records.Count == 0)
            {
                return records;
            }

            records.AddRange(reply.Records.Select(r => r.ToString()));
            after = reply.Records[^1].Index;
        }
    }
}
