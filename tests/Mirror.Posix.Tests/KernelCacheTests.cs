using Mirror.Cluster.Tests.Harness;
using Mirror.Posix.Tests.Harness;

namespace Mirror.Posix.Tests;

/// <summary>
/// The kernel's entry and attribute cache (mirrord mount --entry-timeout/--attr-timeout, 1 s by default) and
/// close-to-open across mounts: OPEN asks the MDS and invalidates the inode when its attributes changed.
/// Within the timeout a stat in one mount may show another mount's file as it was (asserted below with a long
/// timeout, where it is certain); the next open always sees the new size and bytes.
/// </summary>
public sealed class KernelCacheTests(ClusterOnly fixture) : IClassFixture<ClusterOnly>
{
    private const string Long = "600"; // seconds: nothing expires during a test, so what is seen comes from invalidation

    private LocalCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task An_open_sees_the_size_and_bytes_another_mount_wrote_and_closed_while_a_stat_may_still_be_stale()
    {
        await using var a = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", Long, "--entry-timeout", Long);
        await using var b = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", Long, "--entry-timeout", Long);
        var name = $"c2o-{Guid.NewGuid():N}";
        var first = Bytes(1, 100_000);
        File.WriteAllBytes(a[name], first);
        Assert.Equal(first, File.ReadAllBytes(b[name])); // B caches the name and the pages of version 1
        Assert.Equal(first.Length, new FileInfo(b[name]).Length); // and its attributes (a read leaves atime to refresh)

        var second = Bytes(2, 2_500_001);
        File.WriteAllBytes(a[name], second);

        // Documented staleness: B's kernel still holds version 1's attributes (attr timeout not over).
        Assert.Equal(first.Length, new FileInfo(b[name]).Length);

        // Close-to-open: B's next open gets the new size and bytes.
        using (var stream = new FileStream(b[name], FileMode.Open, FileAccess.Read))
        {
            Assert.Equal(second.Length, stream.Length);
            var read = new byte[second.Length + 10];
            var total = 0;
            int n;
            while ((n = stream.Read(read, total, read.Length - total)) > 0)
            {
                total += n;
            }

            Assert.Equal(second, read[..total]);
        }

        Assert.Equal(second.Length, new FileInfo(b[name]).Length); // and stat follows from then on
        Assert.True(await b.MetricAsync("mirror_fuse_inode_invalidations_total") >= 1);

        // Shrunk in A: B's open sees the smaller size (no stale tail from cached pages).
        var third = Bytes(3, 4096);
        File.WriteAllBytes(a[name], third);
        Assert.Equal(third, File.ReadAllBytes(b[name]));
    }

    [Fact]
    public async Task A_name_replaced_in_another_mount_opens_the_new_file_although_the_old_entry_is_cached()
    {
        await using var a = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", Long, "--entry-timeout", Long);
        await using var b = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", Long, "--entry-timeout", Long);
        var name = $"replaced-{Guid.NewGuid():N}";
        File.WriteAllText(a[name], "old");
        Assert.Equal("old", File.ReadAllText(b[name])); // B's kernel caches name → old FID

        // Replaced by rename in A: the old FID is gone (destroyed with its last name).
        File.WriteAllText(a[name + ".new"], "the new file");
        File.Move(a[name + ".new"], a[name], overwrite: true);

        // OPEN of the old FID answers ESTALE; the kernel walks the path again (LOOKUP_REVAL) and opens the new one.
        Assert.Equal("the new file", File.ReadAllText(b[name]));
    }

    [Fact]
    public async Task A_file_created_in_another_mount_is_found_at_once_because_negative_entries_are_not_cached()
    {
        await using var a = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", Long, "--entry-timeout", Long);
        await using var b = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", Long, "--entry-timeout", Long);
        var name = $"late-{Guid.NewGuid():N}";
        Assert.False(File.Exists(b[name]));
        File.WriteAllText(a[name], "here now");
        Assert.True(File.Exists(b[name]));
        Assert.Equal("here now", File.ReadAllText(b[name]));
    }

    [Fact]
    public async Task Stats_within_the_attribute_timeout_are_answered_by_the_kernel_and_timeout_0_asks_every_time()
    {
        var name = $"stat-{Guid.NewGuid():N}";
        await using (var cached = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", Long, "--entry-timeout", Long))
        {
            File.WriteAllText(cached[name], "x");
            _ = new FileInfo(cached[name]).Length;
            var before = await cached.FuseOpsAsync("getattr") + await cached.FuseOpsAsync("lookup");
            for (var i = 0; i < 50; i++)
            {
                Assert.Equal(1, new FileInfo(cached[name]).Length);
            }

            Assert.Equal(before, await cached.FuseOpsAsync("getattr") + await cached.FuseOpsAsync("lookup"));
        }

        await using var uncached = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", "0", "--entry-timeout", "0");
        var start = await uncached.FuseOpsAsync("lookup");
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(1, new FileInfo(uncached[name]).Length);
        }

        Assert.True(await uncached.FuseOpsAsync("lookup") - start >= 50, "with timeouts 0 every stat walks the path through the MDS");
    }

    [Fact]
    public async Task Truncate_and_chmod_replies_carry_the_new_attributes_into_the_cache()
    {
        await using var a = await MountProcess.StartAsync(Cluster, "/", "--attr-timeout", Long, "--entry-timeout", Long);
        var name = $"setattr-{Guid.NewGuid():N}";
        File.WriteAllBytes(a[name], Bytes(4, 10_000));
        Assert.Equal(10_000, new FileInfo(a[name]).Length);

        using (var f = new FileStream(a[name], FileMode.Open, FileAccess.Write))
        {
            f.SetLength(1234);
        }

        Assert.Equal(1234, new FileInfo(a[name]).Length);
        File.WriteAllBytes(a[name], Bytes(5, 77)); // O_TRUNC then a write
        Assert.Equal(77, new FileInfo(a[name]).Length);
        File.SetUnixFileMode(a[name], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead, File.GetUnixFileMode(a[name]));
        Assert.Equal(Bytes(5, 77), File.ReadAllBytes(a[name]));
    }

    private static byte[] Bytes(int seed, int length)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
