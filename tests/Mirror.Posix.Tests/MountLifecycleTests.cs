using Mirror.Cluster.Tests.Harness;
using Mirror.Posix.Tests.Harness;

namespace Mirror.Posix.Tests;

/// <summary>
/// `mirrord mount` as a process: the mount source, two mounts of one tree, read-only mounts, SIGTERM,
/// a lost session, --help and bad arguments. Every test unmounts what it mounts (MountProcess.Dispose).
/// </summary>
public sealed class MountLifecycleTests(ClusterOnly fixture) : IClassFixture<ClusterOnly>
{
    private const int EROFS = 30;

    private LocalCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task The_mount_source_names_the_MDS_and_the_mounted_directory()
    {
        await using (var root = await MountProcess.StartAsync(Cluster))
        {
            Directory.CreateDirectory(root["sub"]);
        }

        await using var mount = await MountProcess.StartAsync(Cluster, "/sub");
        var source = mount.Source();

        Assert.Equal(Cluster.MdsAddress, source.MdsAddress);
        Assert.Equal("/sub", source.Path);
        Assert.Contains("default_permissions", mount.MountinfoLine(), StringComparison.Ordinal);
        Assert.Contains("allow_other", mount.MountinfoLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_mounts_see_each_others_completed_writes()
    {
        await using var one = await MountProcess.StartAsync(Cluster);
        await using var two = await MountProcess.StartAsync(Cluster);
        var name = $"shared-{Guid.NewGuid():N}";
        var first = new byte[(1024 * 1024) + 17];
        new Random(1).NextBytes(first);

        File.WriteAllBytes(one[name], first);
        Assert.Equal(first, File.ReadAllBytes(two[name]));

        // Rewritten bigger through the second mount: the first sees the new size and bytes at its next open.
        var second = new byte[(3 * 1024 * 1024) + 5];
        new Random(2).NextBytes(second);
        File.WriteAllBytes(two[name], second);
        Assert.Equal(second, File.ReadAllBytes(one[name]));

        File.Delete(one[name]);
        Assert.False(File.Exists(two[name]));
    }

    [Fact]
    public async Task A_read_only_mount_reads_and_refuses_every_change_with_EROFS()
    {
        var dir = $"ro-{Guid.NewGuid():N}";
        await using (var rw = await MountProcess.StartAsync(Cluster))
        {
            Directory.CreateDirectory(rw[dir]);
            File.WriteAllText(rw[$"{dir}/f"], "readable");
        }

        await using var ro = await MountProcess.StartAsync(Cluster, "/" + dir, "--read-only");

        Assert.Equal("readable", File.ReadAllText(ro["f"]));
        Assert.Contains(" ro,", ro.MountinfoLine(), StringComparison.Ordinal);
        Assert.Equal(EROFS, Libc.CreateExclusive(ro["new"]));
        Assert.Equal(EROFS, Libc.Errno(Libc.Open(ro["f"], Libc.OWronly, 0)));
        Assert.Equal(EROFS, Libc.Errno(Libc.Mkdir(ro["d"], 0x1ED)));
        Assert.Equal(EROFS, Libc.Errno(Libc.Unlink(ro["f"])));
        Assert.Equal(EROFS, Libc.Errno(Libc.Truncate(ro["f"], 0)));
        Assert.Equal("readable", File.ReadAllText(ro["f"]));
    }

    [Fact]
    public async Task SIGTERM_unmounts_and_exits_0()
    {
        await using var mount = await MountProcess.StartAsync(Cluster);
        Assert.NotNull(mount.MountinfoLine());
        var fd = Libc.Open(mount[$"busy-{Guid.NewGuid():N}"], Libc.OCreat | Libc.OWronly, 0x1A4); // a busy mount detaches lazily
        Assert.True(fd >= 0);
        try
        {
            Assert.Equal(0, await mount.TerminateAsync());
        }
        finally
        {
            _ = Libc.Close(fd);
        }

        Assert.Null(mount.MountinfoLine());
        Assert.Contains("SIGTERM received", mount.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_aborted_by_the_kernel_is_reported_as_lost_and_exits_non_zero()
    {
        await using var mount = await MountProcess.StartAsync(Cluster);
        var connections = "/sys/fs/fuse/connections";
        var mountedFusectl = MountProcess.MountinfoLine(connections) is null;
        if (mountedFusectl)
        {
            await Programs.OkAsync(Programs.RunAsync("mount", "-t", "fusectl", "fusectl", connections), "mount fusectl");
        }

        try
        {
            var dev = (await Programs.OkAsync(Programs.RunAsync("stat", "-c", "%d", mount.Mountpoint), "stat mountpoint")).Trim();
            await File.WriteAllTextAsync(Path.Combine(connections, dev, "abort"), "1");

            Assert.Equal(1, await mount.WaitForExitAsync());
        }
        finally
        {
            if (mountedFusectl)
            {
                _ = Libc.Umount2(connections, 0);
            }
        }

        Assert.Contains("session lost", mount.Log, StringComparison.Ordinal);
        Assert.Null(mount.MountinfoLine());
    }

    [Fact]
    public async Task Help_tells_the_truth_and_bad_arguments_exit_2()
    {
        var help = await CtlRunner.RunDllAsync("mirrord.dll", ["mount", "--help"]);
        Assert.Equal(0, help.Exit);
        foreach (var option in new[] { "--volume", "--path", "--mdt", "--token-file", "--read-only", "--ready-file", "MOUNTPOINT", "mirror@HOST:PORT:/PATH", "session lost" })
        {
            Assert.Contains(option, help.Stdout, StringComparison.Ordinal);
        }

        var noMountpoint = await CtlRunner.RunDllAsync("mirrord.dll", ["mount", "--mdt", Cluster.MdsAddress, "--token-file", Cluster.TokenFile, "--path", "/"]);
        Assert.Equal(2, noMountpoint.Exit);
        Assert.Contains("MOUNTPOINT", noMountpoint.Stderr, StringComparison.Ordinal);

        var both = await CtlRunner.RunDllAsync("mirrord.dll", ["mount", "--mdt", Cluster.MdsAddress, "--token-file", Cluster.TokenFile, "--path", "/", "--volume", "v", "/nonexistent-mountpoint"]);
        Assert.Equal(2, both.Exit);
        Assert.Contains("--volume", both.Stderr, StringComparison.Ordinal);

        var never = Directory.CreateTempSubdirectory("mirror-mnt-never-").FullName;
        try
        {
            var missing = await CtlRunner.RunDllAsync("mirrord.dll", ["mount", "--mdt", Cluster.MdsAddress, "--token-file", Cluster.TokenFile, "--path", "/does-not-exist", never]);
            Assert.Equal(1, missing.Exit);
            Assert.Contains("does-not-exist", missing.Stderr, StringComparison.Ordinal);
            Assert.Null(MountProcess.MountinfoLine(never));
        }
        finally
        {
            Directory.Delete(never);
        }
    }
}
