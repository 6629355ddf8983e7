using System.Text.Json;
using Mirror.Cli.Commands;
using Mirror.Cli.Local;
using Mirror.Cli.Mounts;
using Mirror.Client.Tests.Cluster;

namespace Mirror.Cli.Tests.Mounts;

/// <summary>
/// Commands given paths inside a (table-only) Mirror mount, against a real in-process MDS and OSTs: the
/// MDS comes from the mount source, the token from the cluster folder above the mount point, and the
/// output names the paths as typed.
/// </summary>
public sealed class MountPathCommandTests : IAsyncLifetime
{
    private readonly string dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"mount-cmd-{Guid.NewGuid():N}", ".mirror", "local")).FullName;
    private TestCluster cluster = null!;

    private string MountPoint => Path.Combine(dir, "mnt", "v");

    public async Task InitializeAsync()
    {
        cluster = await TestCluster.StartAsync("flash", "flash", "archive");
        var tokenFile = Path.Combine(dir, "token");
        await File.WriteAllTextAsync(tokenFile, TestCluster.Token);
        new ClusterState { Dir = dir, TokenFile = tokenFile, Processes = [new ClusterProcess { Name = "mds-0", Role = "mds", Address = cluster.Mds.Address }] }.Save();
        Assert.Equal(0, (await Run($"--cluster {dir} mkdir -p /volumes/v/sub")).Exit);
    }

    public async Task DisposeAsync()
    {
        await cluster.DisposeAsync();
        Directory.Delete(Path.GetFullPath(Path.Combine(dir, "..", "..")), recursive: true);
    }

    private async Task<(int Exit, string Out, string Err)> Run(string line, string cwd = "/")
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var table = MountTable.Parse($"27 1 254:0 / / rw - ext4 /dev/vda rw\n101 27 0:50 / {MountPoint} rw - fuse.mirror {MirrorMount.FormatSource(cluster.Mds.Address, "/volumes/v")} rw\n");
        var args = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(a => a.Replace("MNT", MountPoint)).ToArray();
        var exit = await CommandTable.RunAsync(args, stdout, stderr, globals =>
            CliContext.ForCluster(globals, stdout, stderr, new MountPathResolver(() => table, cwd), cwd));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task MirrorCommandsTakeMountPathsAndPrintThemBack()
    {
        var (exit, _, err) = await Run("mirror create -N2 MNT/sub/file1");
        Assert.True(exit == 0, err);
        Assert.Equal(0, (await Run("mirror create -N1 MNT/single")).Exit);

        var (getExit, json, getErr) = await Run("getstripe --json MNT/sub/file1");
        Assert.True(getExit == 0, getErr);
        var layout = JsonDocument.Parse(json).RootElement;
        Assert.Equal($"{MountPoint}/sub/file1", layout.GetProperty("path").GetString());
        Assert.Equal(2, layout.GetProperty("mirror_count").GetInt32());

        // The same file by its file-system path: paths outside mounts keep their meaning.
        var (fsExit, fsJson, _) = await Run($"--cluster {dir} getstripe --json /volumes/v/sub/file1");
        Assert.Equal(0, fsExit);
        Assert.Equal(layout.GetProperty("fid").GetString(), JsonDocument.Parse(fsJson).RootElement.GetProperty("fid").GetString());

        var (findExit, found, _) = await Run("find --mirror-count +1 --type f MNT");
        Assert.Equal(0, findExit);
        Assert.Equal([$"{MountPoint}/sub/file1"], found.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal(0, (await Run("mirror resync MNT/sub/file1")).Exit);
        var (verifyExit, verified, _) = await Run("mirror verify -v MNT/sub/file1");
        Assert.Equal(0, verifyExit);
        Assert.Contains($"{MountPoint}/sub/file1: mirrors 1,2 are identical", verified);
    }

    [Fact]
    public async Task RelativePathsWorkInsideTheMount()
    {
        Assert.Equal(0, (await Run("mirror create -N2 MNT/sub/rel")).Exit);

        var (exit, text, err) = await Run("getstripe sub/rel", cwd: MountPoint);
        Assert.True(exit == 0, err);
        Assert.StartsWith("sub/rel\n", text);

        var (lsExit, names, _) = await Run("ls .", cwd: Path.Combine(MountPoint, "sub"));
        Assert.Equal(0, lsExit);
        Assert.Contains("rel", names.Split('\n'));
    }

    [Fact]
    public async Task ErrorsNameTheMountPath()
    {
        var (exit, _, err) = await Run("getstripe MNT/missing");

        Assert.Equal(1, exit);
        Assert.Contains($"{MountPoint}/missing", err);
        Assert.DoesNotContain("/volumes/v/missing", err);
    }

    [Fact]
    public async Task AnMdsOptionThatIsNotTheMountsIsRefused()
    {
        var (exit, _, err) = await Run("getstripe --mds 127.0.0.1:1 MNT/x");

        Assert.Equal(1, exit);
        Assert.Contains("--mds 127.0.0.1:1", err);
    }
}
