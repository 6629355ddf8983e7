using Mirror.Cli.Commands;
using Mirror.Cli.Local;
using Mirror.Cli.Mounts;
using Mirror.Core.Errors;

namespace Mirror.Cli.Tests.Mounts;

/// <summary>Which MDS and token a command uses when its paths are in Mirror mounts.</summary>
public sealed class MountEndpointTests : IDisposable
{
    private readonly string temp = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"mount-endpoint-{Guid.NewGuid():N}")).FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    private static readonly GlobalOptions NoOptions = new(null, null, null);

    private string Cluster(string dir, string mdsAddress, string token)
    {
        var full = Directory.CreateDirectory(Path.Combine(temp, dir)).FullName;
        var tokenFile = Path.Combine(full, "token");
        File.WriteAllText(tokenFile, token + "\n");
        new ClusterState { Dir = full, TokenFile = tokenFile, Processes = [new ClusterProcess { Name = "mds-0", Role = "mds", Address = mdsAddress }] }.Save();
        return full;
    }

    /// <summary>A table with one Mirror mount at <paramref name="mountPoint"/> of the MDS <paramref name="mds"/>.</summary>
    private static MountPathResolver Resolver(string mountPoint, string mds, string cwd = "/") =>
        new(() => MountTable.Parse($"27 1 254:0 / / rw - ext4 /dev/vda rw\n101 27 0:50 / {mountPoint.Replace(" ", "\\040")} rw - fuse.mirror mirror@{mds}:/volumes/v rw\n"), cwd);

    [Fact]
    public void NoMountPathMeansTheUsualRules()
    {
        var resolver = Resolver("/mnt/v", "127.0.0.1:7001");
        resolver.Resolve("/file1");

        Assert.Null(MountEndpoint.Resolve(resolver, NoOptions, temp));
    }

    [Fact]
    public void TheTokenComesFromALocalClusterFolderAboveTheMountPointWithTheSameMds()
    {
        var dir = Cluster("proj/.mirror/local", "127.0.0.1:7001", "tok-a");
        Cluster("other", "127.0.0.1:9999", "tok-other");
        var resolver = Resolver(Path.Combine(dir, "mnt", "default"), "127.0.0.1:7001");
        resolver.Resolve(Path.Combine(dir, "mnt", "default", "f"));

        var endpoint = MountEndpoint.Resolve(resolver, NoOptions, "/")!;

        Assert.Equal(("127.0.0.1:7001", "tok-a", dir), (endpoint.MdsAddress, endpoint.Token, endpoint.ClusterDir));
    }

    [Fact]
    public void AClusterFolderOfAnotherMdsIsNotUsedForTheToken()
    {
        var other = Cluster("other", "127.0.0.1:9999", "tok-other");
        var resolver = Resolver("/mnt/v", "127.0.0.1:7001");
        resolver.Resolve("/mnt/v/f");

        var e = Assert.Throws<MirrorException>(() => MountEndpoint.Resolve(resolver, new GlobalOptions(other, null, null), "/"));

        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Contains("/mnt/v is a Mirror mount of the MDS at 127.0.0.1:7001", e.Message);
        Assert.Contains("--token-file", e.Message);
    }

    [Fact]
    public void AnExplicitTokenFileIsUsedWithTheMountsMds()
    {
        var tokenFile = Path.Combine(temp, "token");
        File.WriteAllText(tokenFile, "explicit\n");
        var resolver = Resolver("/mnt/v", "127.0.0.1:7001");
        resolver.Resolve("/mnt/v/f");

        var endpoint = MountEndpoint.Resolve(resolver, new GlobalOptions(null, null, tokenFile), "/")!;

        Assert.Equal(("127.0.0.1:7001", "explicit"), (endpoint.MdsAddress, endpoint.Token));
    }

    [Fact]
    public void AnExplicitMdsThatIsNotTheMountsIsRefused()
    {
        var resolver = Resolver("/mnt/v", "127.0.0.1:7001");
        resolver.Resolve("/mnt/v/f");

        var e = Assert.Throws<MirrorException>(() => MountEndpoint.Resolve(resolver, new GlobalOptions(null, "127.0.0.1:7002", "/nonexistent"), "/"));

        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("--mds 127.0.0.1:7002", e.Message);
    }

    [Fact]
    public void PathsInMountsOfTwoClustersAreRefused()
    {
        var resolver = MountSample.Resolver();
        resolver.Resolve("/mnt/vol/a");
        resolver.Resolve("/mnt/my data/b");

        var e = Assert.Throws<MirrorException>(() => MountEndpoint.Resolve(resolver, NoOptions, "/"));

        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("different clusters", e.Message);
    }

    [Fact]
    public void InsideAMountWithNothingSaidTheMountsClusterIsMeant()
    {
        var dir = Cluster("c/.mirror/local", "127.0.0.1:7001", "tok-c");
        var mountPoint = Path.Combine(dir, "mnt", "default");
        var resolver = Resolver(mountPoint, "127.0.0.1:7001", cwd: mountPoint);

        Assert.Equal("tok-c", MountEndpoint.Resolve(resolver, NoOptions, mountPoint)!.Token);
        Assert.Null(MountEndpoint.Resolve(resolver, new GlobalOptions(dir, null, null), mountPoint));
    }
}
