using Mirror.Cli.Mounts;

namespace Mirror.Cli.Tests.Mounts;

public sealed class MountInfoTests
{
    [Fact]
    public void ParsesEveryLineWithOptionalFieldsAndEscapes()
    {
        var entries = MountInfo.Parse(MountSample.Text);

        Assert.Equal(14, entries.Count);
        var vol = entries.Single(e => e.MountPoint == "/mnt/vol");
        Assert.Equal("fuse.mirror", vol.FsType);
        Assert.Equal("mirror@127.0.0.1:7001:/volumes/vol", vol.Source);
        Assert.Equal("/", vol.Root);
        Assert.Contains("default_permissions", vol.SuperOptions);

        var spaced = entries.Single(e => e.Source == "mirror@10.0.0.5:7001:/volumes/data");
        Assert.Equal("/mnt/my data", spaced.MountPoint); // two optional fields before "-", and \040
        Assert.Equal("/projects/a", entries.Single(e => e.MountPoint == "/srv/bind-a").Root);
        Assert.Contains(entries, e => e.MountPoint == "/mnt/back\\slash");
    }

    [Theory]
    [InlineData(@"/a\040b", "/a b")]
    [InlineData(@"/tab\011x", "/tab\tx")]
    [InlineData(@"/nl\012", "/nl\n")]
    [InlineData(@"/bs\134", "/bs\\")]
    [InlineData(@"/not\08", @"/not\08")]
    [InlineData(@"/end\04", @"/end\04")]
    public void UnescapesTheKernelsOctalEscapesOnly(string field, string expected) =>
        Assert.Equal(expected, MountInfo.Unescape(field));

    [Fact]
    public void SkipsLinesThatAreNotMountinfo()
    {
        var entries = MountInfo.Parse("garbage\n1 2 3:4 / /x rw - ext4 /dev/x rw\n5 6 7:8 / /y rw no-dash-here\n");

        Assert.Equal("/x", Assert.Single(entries).MountPoint);
    }

    [Fact]
    public void ReadsThisProcessesTable()
    {
        Assert.Contains(MountInfo.ReadCurrent(), e => e.MountPoint == "/");
    }
}
