using Mirror.Posix.Tests.Harness;

namespace Mirror.Posix.Tests;

/// <summary>Names through a real mount: mkdir/rmdir/unlink, readdir, rename and renameat2, symlinks, hard links, statfs, xattrs, errnos.</summary>
public sealed class NamespaceTests(MountedCluster fixture) : IClassFixture<MountedCluster>
{
    private const int ENOENT = 2;
    private const int EPERM = 1;
    private const int EEXIST = 17;
    private const int ENOTDIR = 20;
    private const int EISDIR = 21;
    private const int ENOTEMPTY = 39;
    private const int ENAMETOOLONG = 36;

    [Fact]
    public void Mkdir_rmdir_and_unlink_work_and_fail_with_the_POSIX_errnos()
    {
        var dir = fixture.NewDir("names");
        var sub = Path.Combine(dir, "sub");
        var file = Path.Combine(dir, "file");

        Assert.Equal(0, Libc.Errno(Libc.Mkdir(sub, 0x1ED)));
        Assert.Equal(EEXIST, Libc.Errno(Libc.Mkdir(sub, 0x1ED)));
        Assert.Equal(0, Libc.CreateExclusive(file));
        Assert.Equal(EEXIST, Libc.CreateExclusive(file));
        Assert.Equal(0, Libc.CreateExclusive(Path.Combine(sub, "inner")));
        Assert.Equal(ENOTEMPTY, Libc.Errno(Libc.Rmdir(sub)));
        Assert.Equal(EISDIR, Libc.Errno(Libc.Unlink(sub)));
        Assert.Equal(ENOTDIR, Libc.Errno(Libc.Rmdir(file)));
        Assert.Equal(ENOTDIR, Libc.Errno(Libc.Mkdir(Path.Combine(file, "x"), 0x1ED)));
        Assert.Equal(ENOENT, Libc.Errno(Libc.Open(Path.Combine(dir, "missing"), 0, 0)));
        Assert.Equal(ENOENT, Libc.Errno(Libc.Unlink(Path.Combine(dir, "missing"))));
        Assert.Equal(ENAMETOOLONG, Libc.CreateExclusive(Path.Combine(dir, new string('n', 256))));
        Assert.Equal(0, Libc.CreateExclusive(Path.Combine(dir, new string('n', 255))));

        Assert.Equal(0, Libc.Errno(Libc.Unlink(Path.Combine(sub, "inner"))));
        Assert.Equal(0, Libc.Errno(Libc.Rmdir(sub)));
        Assert.Equal(0, Libc.Errno(Libc.Unlink(file)));
        Assert.False(Directory.Exists(sub));
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void Readdir_lists_every_entry_of_a_large_directory_once()
    {
        var dir = fixture.NewDir("many");
        var names = Enumerable.Range(0, 600).Select(i => $"entry-with-a-longish-name-{i:D4}").ToList();
        foreach (var n in names)
        {
            Assert.Equal(0, Libc.CreateExclusive(Path.Combine(dir, n)));
        }

        Directory.CreateDirectory(Path.Combine(dir, "subdir"));

        var listed = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(names.Append("subdir").Order(StringComparer.Ordinal), listed);
        Assert.True(new DirectoryInfo(Path.Combine(dir, "subdir")).Attributes.HasFlag(FileAttributes.Directory));
    }

    [Fact]
    public void Rename_moves_and_replaces_and_renameat2_honours_NOREPLACE_and_EXCHANGE()
    {
        var dir = fixture.NewDir("rename");
        var a = Path.Combine(dir, "a");
        var b = Path.Combine(dir, "b");
        var sub = Path.Combine(dir, "sub");
        Directory.CreateDirectory(sub);
        File.WriteAllText(a, "A");
        File.WriteAllText(b, "B");

        Assert.Equal(EEXIST, Libc.Errno(Libc.Renameat2(Libc.AtFdcwd, a, Libc.AtFdcwd, b, Libc.RenameNoReplace)));
        Assert.Equal(0, Libc.Errno(Libc.Renameat2(Libc.AtFdcwd, a, Libc.AtFdcwd, b, Libc.RenameExchange)));
        Assert.Equal("B", File.ReadAllText(a));
        Assert.Equal("A", File.ReadAllText(b));

        Assert.Equal(0, Libc.Errno(Libc.Rename(a, b))); // replaces b
        Assert.False(File.Exists(a));
        Assert.Equal("B", File.ReadAllText(b));

        Assert.Equal(0, Libc.Errno(Libc.Rename(b, Path.Combine(sub, "moved"))));
        Assert.Equal("B", File.ReadAllText(Path.Combine(sub, "moved")));
        Directory.CreateDirectory(Path.Combine(dir, "empty"));
        Assert.Equal(EISDIR, Libc.Errno(Libc.Rename(Path.Combine(sub, "moved"), Path.Combine(dir, "empty"))));
        Assert.Equal(ENOTDIR, Libc.Errno(Libc.Rename(Path.Combine(dir, "empty"), Path.Combine(sub, "moved"))));
        Assert.Equal(ENOENT, Libc.Errno(Libc.Rename(a, b)));
    }

    [Fact]
    public async Task Mv_and_symlinks_behave_as_on_a_local_file_system()
    {
        var dir = fixture.NewDir("links");
        var target = Path.Combine(dir, "target");
        File.WriteAllText(target, "through the link");
        var link = Path.Combine(dir, "link");

        await Programs.OkAsync(Programs.RunAsync("ln", "-s", "target", link), "ln -s");
        Assert.Equal("target", (await Programs.OkAsync(Programs.RunAsync("readlink", link), "readlink")).Trim());
        Assert.Equal("through the link", File.ReadAllText(link));
        Assert.Equal("symbolic link", (await Programs.OkAsync(Programs.RunAsync("stat", "-c", "%F", link), "stat")).Trim());

        await Programs.OkAsync(Programs.RunAsync("mv", target, Path.Combine(dir, "renamed")), "mv");
        Assert.Equal(ENOENT, Libc.Errno(Libc.Open(link, 0, 0))); // dangling now
        Assert.Equal(0, Libc.Errno(Libc.Unlink(link)));
    }

    [Fact]
    public async Task Hard_links_share_the_inode_and_count_in_nlink()
    {
        var dir = fixture.NewDir("hardlink");
        var file = Path.Combine(dir, "f");
        var other = Path.Combine(dir, "g");
        File.WriteAllText(file, "shared");

        Assert.Equal(0, Libc.Errno(Libc.Link(file, other)));
        Assert.Equal(EEXIST, Libc.Errno(Libc.Link(file, other)));
        Assert.Equal(EPERM, Libc.Errno(Libc.Link(dir, Path.Combine(dir, "dirlink"))));
        var stat = await Programs.OkAsync(Programs.RunAsync("stat", "-c", "%i %h", file, other), "stat both names");
        var lines = stat.Trim().Split('\n');
        Assert.Equal(lines[0], lines[1]);
        Assert.EndsWith(" 2", lines[0], StringComparison.Ordinal);

        File.AppendAllText(other, " and appended");
        Assert.Equal("shared and appended", File.ReadAllText(file));
        Assert.Equal(0, Libc.Errno(Libc.Unlink(file)));
        Assert.Equal("shared and appended", File.ReadAllText(other));
        Assert.Equal("1", (await Programs.OkAsync(Programs.RunAsync("stat", "-c", "%h", other), "stat")).Trim());
    }

    [Fact]
    public async Task Extended_attributes_in_user_namespace_round_trip_and_others_are_not_supported()
    {
        var file = Path.Combine(fixture.NewDir("xattr"), "f");
        File.WriteAllText(file, "x");

        await Programs.OkAsync(Programs.RunAsync("setfattr", "-n", "user.colour", "-v", "blue", file), "setfattr user.colour");
        await Programs.OkAsync(Programs.RunAsync("setfattr", "-n", "user.size", "-v", "large", file), "setfattr user.size");
        var dump = await Programs.OkAsync(Programs.RunAsync("getfattr", "-d", file), "getfattr -d");
        Assert.Contains("user.colour=\"blue\"", dump, StringComparison.Ordinal);
        Assert.Contains("user.size=\"large\"", dump, StringComparison.Ordinal);

        await Programs.OkAsync(Programs.RunAsync("setfattr", "-x", "user.size", file), "setfattr -x");
        Assert.DoesNotContain("user.size", await Programs.OkAsync(Programs.RunAsync("getfattr", "-d", file), "getfattr -d"), StringComparison.Ordinal);
        var missing = await Programs.RunAsync("getfattr", "-n", "user.size", file);
        Assert.NotEqual(0, missing.Exit);
        Assert.Contains("No such attribute", missing.Stderr, StringComparison.Ordinal);

        var other = await Programs.RunAsync("setfattr", "-n", "security.x", "-v", "v", file);
        Assert.NotEqual(0, other.Exit);
        Assert.Contains("Operation not supported", other.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trusted_extended_attributes_are_for_root_only_as_on_ext4()
    {
        var file = Path.Combine(fixture.NewDir("trusted"), "f");
        File.WriteAllText(file, "x");
        File.SetUnixFileMode(file, (UnixFileMode)0x1B6); // 0666: what follows is not about file permissions
        await Programs.OkAsync(Programs.RunAsync("setfattr", "-n", "trusted.k", "-v", "root's", file), "setfattr trusted.k as root");
        await Programs.OkAsync(Programs.RunAsync("setfattr", "-n", "user.u", "-v", "anyone's", file), "setfattr user.u");
        var asRoot = await Programs.OkAsync(Programs.RunAsync("getfattr", "-d", "-m", "-", file), "getfattr -d -m - as root");
        Assert.Contains("trusted.k=\"root's\"", asRoot, StringComparison.Ordinal);

        // Another uid: listxattr leaves trusted.* out, getxattr says it is not there, set and remove are EPERM.
        var listed = await Programs.OkAsync(Programs.AsNobodyAsync($"getfattr -d -m - '{file}'"), "getfattr -d -m - as nobody");
        Assert.Contains("user.u=\"anyone's\"", listed, StringComparison.Ordinal);
        Assert.DoesNotContain("trusted.", listed, StringComparison.Ordinal);
        var get = await Programs.AsNobodyAsync($"getfattr -n trusted.k '{file}'");
        Assert.NotEqual(0, get.Exit);
        Assert.Contains("No such attribute", get.Stderr, StringComparison.Ordinal);
        var set = await Programs.AsNobodyAsync($"setfattr -n trusted.other -v v '{file}'");
        Assert.NotEqual(0, set.Exit);
        Assert.Contains("Operation not permitted", set.Stderr, StringComparison.Ordinal);
        var remove = await Programs.AsNobodyAsync($"setfattr -x trusted.k '{file}'");
        Assert.NotEqual(0, remove.Exit);
        Assert.Contains("Operation not permitted", remove.Stderr, StringComparison.Ordinal);

        var after = await Programs.OkAsync(Programs.RunAsync("getfattr", "-d", "-m", "-", file), "getfattr -d -m - as root");
        Assert.Contains("trusted.k=\"root's\"", after, StringComparison.Ordinal);
        Assert.DoesNotContain("trusted.other", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Statfs_reports_the_cluster_capacity()
    {
        var df = await Programs.OkAsync(Programs.RunAsync("stat", "-f", "-c", "%S %b %a %l", fixture.Mount.Mountpoint), "stat -f");
        var fields = df.Trim().Split(' ').Select(long.Parse).ToArray();
        Assert.Equal(4096, fields[0]);
        Assert.True(fields[1] > 0 && fields[2] > 0 && fields[2] <= fields[1], df);
        Assert.Equal(255, fields[3]);
    }
}
