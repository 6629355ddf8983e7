using Mirror.Cli.Mounts;
using Mirror.Core.Errors;

namespace Mirror.Cli.Tests.Mounts;

public sealed class MountPathResolverTests
{
    [Theory]
    [InlineData("/mnt/vol/file1", "/volumes/vol/file1")]
    [InlineData("/mnt/vol", "/volumes/vol")]
    [InlineData("/mnt/vol/", "/volumes/vol")]
    [InlineData("/mnt/vol//d/./e/../f", "/volumes/vol/d/f")]
    [InlineData("/mnt/my data/x y", "/volumes/data/x y")]
    [InlineData("/mnt/ipv6/z", "/volumes/six/z")]
    [InlineData("/mnt/whole/a", "/a")]
    [InlineData("/mnt/back\\slash/q", "/volumes/bs/q")]
    public void AnAbsolutePathInAMirrorMountNamesTheFileSystemPathUnderItsRoot(string argument, string fsPath)
    {
        var resolved = MountSample.Resolver().Resolve(argument);

        Assert.Equal(fsPath, resolved.FsPath);
        Assert.NotNull(resolved.Mount);
        Assert.Equal(argument, resolved.Display());
    }

    [Theory]
    [InlineData("/file1", "/file1")]
    [InlineData("/volumes/vol/f", "/volumes/vol/f")]
    [InlineData("//a//b/", "/a/b")]
    [InlineData("/mnt/volume/f", "/mnt/volume/f")]
    public void AnyOtherAbsolutePathKeepsItsMeaning(string argument, string fsPath)
    {
        var resolved = MountSample.Resolver().Resolve(argument);

        Assert.Equal(fsPath, resolved.FsPath);
        Assert.Null(resolved.Mount);
        Assert.Equal(fsPath, resolved.Display());
    }

    [Fact]
    public void DotDotOutsideAMountIsStillRefused()
    {
        var e = Assert.Throws<MirrorException>(() => MountSample.Resolver().Resolve("/mnt/vol/../x"));

        Assert.Equal(Errno.EINVAL, e.Errno);
    }

    [Theory]
    [InlineData("/mnt/vol/dir", "f", "/volumes/vol/dir/f")]
    [InlineData("/mnt/vol/dir", ".", "/volumes/vol/dir")]
    [InlineData("/mnt/vol/dir", "../g", "/volumes/vol/g")]
    [InlineData("/mnt/vol", "sub/h", "/volumes/vol/sub/h")]
    public void ARelativePathIsRelativeToAWorkingDirectoryInAMount(string cwd, string argument, string fsPath)
    {
        var resolved = MountSample.Resolver(cwd).Resolve(argument);

        Assert.Equal(fsPath, resolved.FsPath);
        Assert.Equal(argument, resolved.Display());
    }

    [Theory]
    [InlineData("/root", "f")]
    [InlineData("/mnt/vol", "../../etc/passwd")]
    public void ARelativePathOutsideAMountIsRefusedAsBefore(string cwd, string argument)
    {
        var e = Assert.Throws<MirrorException>(() => MountSample.Resolver(cwd).Resolve(argument));

        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("not an absolute path", e.Message);
    }

    [Fact]
    public void ScanNotesTheMountsOfAbsoluteArgumentsAndOptionValues()
    {
        var resolver = MountSample.Resolver();

        resolver.Scan(["-N2", "--only", "1,2", "/file", "--file=/mnt/my data/victim", "/mnt/vol/f", "/mnt/vol/g", "relative"]);

        Assert.Equal(["/mnt/my data", "/mnt/vol"], resolver.MountsUsed.Select(m => m.MountPoint));
    }

    [Fact]
    public void FindResultsBelowAMountPathArePrintedUnderTheArgumentAsTyped()
    {
        var root = MountSample.Resolver("/mnt/vol").Resolve("./d/");

        Assert.Equal("/volumes/vol/d", root.FsPath);
        Assert.Equal("./d/", root.Display("/volumes/vol/d"));
        Assert.Equal("./d/x/y", root.Display("/volumes/vol/d/x/y"));
        Assert.Equal("/mnt/vol/other", root.Display("/volumes/vol/other"));
    }

    [Fact]
    public void ErrorMessagesNameTheLocalPath()
    {
        var resolver = MountSample.Resolver();
        resolver.Resolve("/mnt/vol/f");

        Assert.Equal(
            "/mnt/vol/f: no such file; '/mnt/vol' exists, /volumes/volume2 does not",
            resolver.Localize("/volumes/vol/f: no such file; '/volumes/vol' exists, /volumes/volume2 does not"));
    }
}
