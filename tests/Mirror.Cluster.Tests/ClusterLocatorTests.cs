using Mirror.Cli.Local;
using Mirror.Core.Errors;

namespace Mirror.Cluster.Tests;

/// <summary>
/// The order in which commands find their cluster. These tests set MIRROR_* variables of this process;
/// the assembly runs its tests one at a time, and each test puts the variables back.
/// </summary>
public sealed class ClusterLocatorTests : IDisposable
{
    private static readonly string[] Variables = [ClusterLocator.ClusterDirVariable, ClusterLocator.MdsVariable, ClusterLocator.TokenFileVariable];

    private readonly string root = Directory.CreateTempSubdirectory("locator-test-").FullName;
    private readonly Dictionary<string, string?> saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    private readonly string savedCwd = Directory.GetCurrentDirectory();

    public ClusterLocatorTests()
    {
        foreach (var variable in Variables)
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    public void Dispose()
    {
        Directory.SetCurrentDirectory(savedCwd);
        foreach (var (variable, value) in saved)
        {
            Environment.SetEnvironmentVariable(variable, value);
        }

        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public void ExplicitMdsAndTokenFile_WinOverAClusterFolder()
    {
        var clusterDir = MakeCluster(Path.Combine(root, "c"), "127.0.0.1:1111", "cluster-token");
        var tokenFile = Path.Combine(root, "tok");
        File.WriteAllText(tokenFile, "explicit-token\n");

        var endpoint = ClusterLocator.Resolve(clusterDir, "10.0.0.1:7000", tokenFile);

        Assert.Equal(new ClusterEndpoint("10.0.0.1:7000", "explicit-token", null), endpoint);
    }

    [Fact]
    public void MdsVariables_AreUsedWhenNoOptionIsGiven()
    {
        var tokenFile = Path.Combine(root, "tok");
        File.WriteAllText(tokenFile, "env-token");
        Environment.SetEnvironmentVariable(ClusterLocator.MdsVariable, "127.0.0.1:2222");
        Environment.SetEnvironmentVariable(ClusterLocator.TokenFileVariable, tokenFile);

        Assert.Equal(new ClusterEndpoint("127.0.0.1:2222", "env-token", null), ClusterLocator.Resolve(null, null, null));
    }

    [Fact]
    public void MdsWithoutTokenFile_IsRefusedNamingTheOption()
    {
        var e = Assert.Throws<MirrorException>(() => ClusterLocator.Resolve(null, "127.0.0.1:1", null));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("--token-file", e.Message);
    }

    [Fact]
    public void ClusterOption_ThenVariable_ReadTheClusterFile()
    {
        var first = MakeCluster(Path.Combine(root, "one"), "127.0.0.1:3001", "token-one");
        var second = MakeCluster(Path.Combine(root, "two"), "127.0.0.1:3002", "token-two");
        Environment.SetEnvironmentVariable(ClusterLocator.ClusterDirVariable, second);

        Assert.Equal(new ClusterEndpoint("127.0.0.1:3001", "token-one", first), ClusterLocator.Resolve(first, null, null));
        Assert.Equal(new ClusterEndpoint("127.0.0.1:3002", "token-two", second), ClusterLocator.Resolve(null, null, null));
    }

    [Fact]
    public void WithNothingGiven_TheNearestDotMirrorLocalUpwardIsUsed()
    {
        var project = Path.Combine(root, "project");
        var clusterDir = MakeCluster(Path.Combine(project, ".mirror", "local"), "127.0.0.1:4000", "near-token");
        var deep = Directory.CreateDirectory(Path.Combine(project, "src", "deep")).FullName;
        Directory.SetCurrentDirectory(deep);

        Assert.Equal(new ClusterEndpoint("127.0.0.1:4000", "near-token", clusterDir), ClusterLocator.Resolve(null, null, null));
    }

    [Fact]
    public void NoClusterAnywhere_IsEnoentTellingWhatToDo()
    {
        Directory.SetCurrentDirectory(root);

        var e = Assert.Throws<MirrorException>(() => ClusterLocator.Resolve(null, null, null));

        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Contains("mirrorctl local up", e.Message);
        Assert.Contains("--mds HOST:PORT --token-file FILE", e.Message);
    }

    [Fact]
    public void AClusterFolderWithoutClusterFile_IsEnoentNamingTheFolder()
    {
        var empty = Directory.CreateDirectory(Path.Combine(root, "empty")).FullName;

        var e = Assert.Throws<MirrorException>(() => ClusterLocator.Resolve(empty, null, null));

        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Contains(empty, e.Message);
    }

    private static string MakeCluster(string dir, string mdsAddress, string token)
    {
        Directory.CreateDirectory(dir);
        var tokenFile = Path.Combine(dir, "token");
        File.WriteAllText(tokenFile, token + "\n");
        File.WriteAllText(Path.Combine(dir, "cluster.json"), $$"""
            {"dir": "{{dir}}", "token_file": "{{tokenFile}}", "processes": [
              {"name": "mds-0", "role": "mds", "index": 0, "address": "{{mdsAddress}}", "pid": 0}
            ], "mountpoints": []}
            """);
        return dir;
    }
}
