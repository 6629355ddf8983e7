using Mirror.Cli.Mounts;
using Mirror.Core.Errors;

namespace Mirror.Cli.Tests.Mounts;

public sealed class MirrorMountTests
{
    [Theory]
    [InlineData("mirror@127.0.0.1:7001:/volumes/vol", "127.0.0.1:7001", "/volumes/vol")]
    [InlineData("mirror@mds.example:443:/", "mds.example:443", "/")]
    [InlineData("mirror@[::1]:7002:/volumes/six", "[::1]:7002", "/volumes/six")]
    [InlineData("mirror@h:1:/a//b/", "h:1", "/a/b")]
    public void ParsesTheMountSource(string source, string mds, string root)
    {
        Assert.True(MirrorMount.TryParseSource(source, out var parsedMds, out var parsedRoot));
        Assert.Equal(mds, parsedMds);
        Assert.Equal(root, parsedRoot);
    }

    [Theory]
    [InlineData("mirror:legacy")]
    [InlineData("mirror@127.0.0.1:/volumes/x")]
    [InlineData("mirror@127.0.0.1:0:/volumes/x")]
    [InlineData("mirror@127.0.0.1:99999:/volumes/x")]
    [InlineData("mirror@127.0.0.1:7001")]
    [InlineData("mirror@:7001:/x")]
    [InlineData("mirror@h:1:/a/../b")]
    [InlineData("/dev/vda")]
    public void RefusesOtherSources(string source) =>
        Assert.False(MirrorMount.TryParseSource(source, out _, out _));

    [Fact]
    public void FormatSourceRoundTrips()
    {
        var source = MirrorMount.FormatSource("127.0.0.1:7001", "/volumes/default/");

        Assert.Equal("mirror@127.0.0.1:7001:/volumes/default", source);
        Assert.True(MirrorMount.TryParseSource(source, out var mds, out var root));
        Assert.Equal(("127.0.0.1:7001", "/volumes/default"), (mds, root));
    }

    [Fact]
    public void MapsBetweenLocalAndFileSystemPaths()
    {
        var mount = new MirrorMount("/mnt/vol", "h:1", "/volumes/vol", "mirror@h:1:/volumes/vol");

        Assert.Equal("/volumes/vol", mount.ToFsPath("/mnt/vol"));
        Assert.Equal("/volumes/vol/a/b", mount.ToFsPath("/mnt/vol/a/b"));
        Assert.Equal("/mnt/vol/a", mount.ToLocalPath("/volumes/vol/a"));
        Assert.Equal("/mnt/vol", mount.ToLocalPath("/volumes/vol"));
        Assert.Null(mount.ToLocalPath("/volumes/volume2/a"));
    }

    [Theory]
    [InlineData("/mnt/vol", "/mnt/vol")]
    [InlineData("/mnt/vol/a/b", "/mnt/vol")]
    [InlineData("/mnt/my data/x", "/mnt/my data")]
    [InlineData("/mnt/stack/f", "/mnt/stack")]
    public void FindsTheMirrorMountByLongestPrefix(string path, string mountPoint) =>
        Assert.Equal(mountPoint, MountSample.Table.MirrorMountOf(path)?.MountPoint);

    [Theory]
    [InlineData("/mnt/volume/f")] // a prefix by characters, not by components
    [InlineData("/mnt/vol/scratch/f")] // a tmpfs mounted inside the Mirror mount
    [InlineData("/mnt")]
    [InlineData("/dev/shm/x")]
    public void PathsOutsideMirrorMountsHaveNone(string path) =>
        Assert.Null(MountSample.Table.MirrorMountOf(path));

    [Fact]
    public void ABindMountOfASubtreeMapsUnderThatSubtree()
    {
        var mount = MountSample.Table.MirrorMountOf("/srv/bind-a/f")!;

        Assert.Equal("/volumes/vol/projects/a", mount.Root);
        Assert.Equal("/volumes/vol/projects/a/f", mount.ToFsPath("/srv/bind-a/f"));
    }

    [Fact]
    public void AMirrorMountWhoseSourceNamesNoMdsIsAClearError()
    {
        var e = Assert.Throws<MirrorException>(() => MountSample.Table.MirrorMountOf("/mnt/legacy/f"));

        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("mirror:legacy", e.Message);
        Assert.Contains("mirror@HOST:PORT:/PATH", e.Message);
    }
}
