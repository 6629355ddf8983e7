using Mirror.Cluster.Tests.Harness;
using Mirror.Posix.Tests.Harness;

namespace Mirror.Posix.Tests;

/// <summary>
/// A directory's attributes after a change in it through this mount (create, mkdir, unlink, rename, link):
/// the kernel drops them and asks with GETATTR; the mount answers from the attributes the MDS returned with
/// the change (mds.proto parent_attr) while younger than the attribute timeout, and asks the MDS after it.
/// What a stat shows is compared with a second mount that caches nothing (timeouts 0: the MDS's values).
/// </summary>
public sealed class DirectoryAttrTests(ClusterOnly fixture) : IClassFixture<ClusterOnly>
{
    private const string Long = "600"; // seconds: nothing expires during the test
    private const string MdsGetAttr = "mirror_rpc_client_duration_seconds_count{method=\"/mirror.mds.Mds/GetAttr\"}";
    private const string LocalGetattr = "mirror_fuse_answered_locally_total{op=\"getattr\"}";

    private LocalCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task After_create_mkdir_unlink_rename_and_link_a_stat_of_the_directory_is_right_without_an_MDS_call()
    {
        await using var a = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", Long, "--entry-timeout", Long);
        await using var truth = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", "0", "--entry-timeout", "0");
        var d = $"wcc-{Guid.NewGuid():N}";
        var e = $"wcc-{Guid.NewGuid():N}";
        Directory.CreateDirectory(a[d]);
        Directory.CreateDirectory(a[e]);
        var before = Stat(a[d]);

        async Task Step(string what, Action change, params string[] dirs)
        {
            var rpcs = await a.MetricAsync(MdsGetAttr);
            var local = await a.MetricAsync(LocalGetattr);
            change();
            foreach (var dir in dirs)
            {
                Assert.Equal(Stat(truth[dir]), Stat(a[dir]));
            }

            Assert.True(await a.MetricAsync(LocalGetattr) > local, $"{what}: the kernel asked for the directory's attributes and the mount answered them itself");
            Assert.Equal(rpcs, await a.MetricAsync(MdsGetAttr));
        }

        await Step("create", () => Assert.True(Libc.Close(Libc.CreateExclusive(a[$"{d}/f"])) == 0), d);
        var created = Stat(a[d]);
        Assert.True(created.Mtime > before.Mtime && created.Ctime > before.Ctime, $"create moves mtime and ctime: {before} → {created}");
        Assert.Equal(2, created.Nlink);

        await Step("mkdir", () => Directory.CreateDirectory(a[$"{d}/sub"]), d);
        Assert.Equal(3, Stat(a[d]).Nlink);

        await Step("rename to another directory", () => Assert.Equal(0, Libc.Errno(Libc.Rename(a[$"{d}/sub"], a[$"{e}/sub"]))), d, e);
        Assert.Equal(2, Stat(a[d]).Nlink);
        Assert.Equal(3, Stat(a[e]).Nlink);

        await Step("rename within", () => Assert.Equal(0, Libc.Errno(Libc.Rename(a[$"{d}/f"], a[$"{d}/g"]))), d);
        await Step("link", () => Assert.Equal(0, Libc.Errno(Libc.Link(a[$"{d}/g"], a[$"{e}/h"]))), e);
        await Step("unlink", () => Assert.Equal(0, Libc.Errno(Libc.Unlink(a[$"{d}/g"]))), d);
        await Step("rmdir", () => Assert.Equal(0, Libc.Errno(Libc.Rmdir(a[$"{e}/sub"]))), e);
        Assert.Equal(2, Stat(a[e]).Nlink);
    }

    [Fact]
    public async Task After_the_attribute_timeout_a_stat_of_the_directory_asks_the_MDS_and_sees_other_mounts_changes()
    {
        await using var a = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", "1", "--entry-timeout", "1");
        await using var b = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", "0", "--entry-timeout", "0");
        var d = $"expire-{Guid.NewGuid():N}";
        Directory.CreateDirectory(a[d]);
        Assert.Equal(0, Libc.Close(Libc.CreateExclusive(a[$"{d}/mine"])));
        var mine = Stat(a[d]);
        Directory.CreateDirectory(b[$"{d}/theirs"]); // another mount: invisible to A's kept attributes

        var rpcs = await a.MetricAsync(MdsGetAttr);
        await Wait.UntilAsync(
            async () =>
            {
                var seen = Stat(a[d]);
                return await a.MetricAsync(MdsGetAttr) > rpcs && seen.Nlink == 3;
            },
            TimeSpan.FromSeconds(30),
            "A's stat of the directory to ask the MDS once the attribute timeout passed");
        Assert.Equal(Stat(b[d]), Stat(a[d]));
        Assert.True(Stat(a[d]).Mtime >= mine.Mtime);
    }

    /// <summary>stat(1) of <paramref name="path"/>: links, mtime and ctime with nanoseconds, size, mode.</summary>
    private static DirStat Stat(string path)
    {
        var run = Programs.RunAsync("stat", "-c", "%h %.9Y %.9Z %s %a", path).GetAwaiter().GetResult();
        Assert.True(run.Exit == 0, $"stat {path}: {run}");
        var f = run.Stdout.Trim().Split(' ');
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return new DirStat(int.Parse(f[0], c), decimal.Parse(f[1], c), decimal.Parse(f[2], c), long.Parse(f[3], c), f[4]);
    }

    private sealed record DirStat(int Nlink, decimal Mtime, decimal Ctime, long Size, string Mode);
}
