using Mirror.Posix.Tests.Harness;

namespace Mirror.Posix.Tests;

/// <summary>
/// Attributes and permissions through a real mount: chmod/chown/utimes, mtime/ctime updates, owners from the
/// caller's uid/gid, umask, and the kernel's default_permissions checks (EACCES, EPERM, sticky directories).
/// </summary>
public sealed class AttributeTests(MountedCluster fixture) : IClassFixture<MountedCluster>
{
    private static Task<string> StatAsync(string format, string path) =>
        Programs.OkAsync(Programs.RunAsync("stat", "-c", format, path), $"stat {path}");

    [Fact]
    public async Task Chmod_chown_and_touch_set_mode_owner_and_times()
    {
        var file = Path.Combine(fixture.NewDir("attrs"), "f");
        File.WriteAllText(file, "x");

        await Programs.OkAsync(Programs.RunAsync("chmod", "640", file), "chmod");
        await Programs.OkAsync(Programs.RunAsync("chown", "123:456", file), "chown");
        await Programs.OkAsync(Programs.RunAsync("touch", "-m", "-d", "2001-02-03 04:05:06.5 UTC", file), "touch -m");
        await Programs.OkAsync(Programs.RunAsync("touch", "-a", "-d", "2002-02-03 04:05:06 UTC", file), "touch -a");

        Assert.Equal("640 123 456", (await StatAsync("%a %u %g", file)).Trim());
        Assert.Equal("981173106.500000000", (await StatAsync("%.9Y", file)).Trim());
        Assert.Equal("1012709106", (await StatAsync("%X", file)).Trim());
    }

    [Fact]
    public async Task Writing_moves_mtime_and_ctime_forward()
    {
        var file = Path.Combine(fixture.NewDir("times"), "f");
        File.WriteAllText(file, "x");
        await Programs.OkAsync(Programs.RunAsync("touch", "-d", "2001-01-01 UTC", file), "touch");
        var before = File.GetLastWriteTimeUtc(file);

        File.AppendAllText(file, "more");

        Assert.True(File.GetLastWriteTimeUtc(file) > before.AddYears(10), $"mtime {File.GetLastWriteTimeUtc(file):O} after a write");
        var ctime = long.Parse((await StatAsync("%Z", file)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(ctime > DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), $"ctime {ctime}");
    }

    [Fact]
    public async Task Files_and_directories_belong_to_the_caller_and_honour_its_umask()
    {
        var dir = fixture.NewDir("owner");
        await Programs.OkAsync(Programs.AsNobodyAsync($"umask 027 && echo x > {dir}/f && mkdir {dir}/d"), "create as nobody");

        Assert.Equal($"{Programs.Nobody} {Programs.Nobody} 640", (await StatAsync("%u %g %a", Path.Combine(dir, "f"))).Trim());
        Assert.Equal($"{Programs.Nobody} {Programs.Nobody} 750", (await StatAsync("%u %g %a", Path.Combine(dir, "d"))).Trim());
    }

    [Fact]
    public async Task The_kernel_enforces_permissions_EACCES_and_EPERM()
    {
        var dir = fixture.NewDir("perm");
        var secret = Path.Combine(dir, "secret");
        File.WriteAllText(secret, "root only");
        await Programs.OkAsync(Programs.RunAsync("chmod", "600", secret), "chmod 600");

        var read = await Programs.AsNobodyAsync($"cat {secret}");
        Assert.NotEqual(0, read.Exit);
        Assert.Contains("Permission denied", read.Stderr, StringComparison.Ordinal);

        var chown = await Programs.AsNobodyAsync($"chmod 777 {secret}");
        Assert.NotEqual(0, chown.Exit);
        Assert.Contains("Operation not permitted", chown.Stderr, StringComparison.Ordinal);

        var closed = Path.Combine(dir, "closed");
        Directory.CreateDirectory(closed);
        await Programs.OkAsync(Programs.RunAsync("chmod", "755", closed), "chmod 755");
        var create = await Programs.AsNobodyAsync($"touch {closed}/x");
        Assert.NotEqual(0, create.Exit);
        Assert.Contains("Permission denied", create.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(closed, "x")));
    }

    [Fact]
    public async Task A_sticky_directory_keeps_others_from_deleting_a_file()
    {
        var dir = fixture.NewDir("sticky");
        await Programs.OkAsync(Programs.RunAsync("chmod", "1777", dir), "chmod 1777");
        var file = Path.Combine(dir, "roots");
        File.WriteAllText(file, "x");

        var rm = await Programs.AsNobodyAsync($"rm -f {file}");

        Assert.NotEqual(0, rm.Exit);
        Assert.Contains("Operation not permitted", rm.Stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(file));
    }
}
