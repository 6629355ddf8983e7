using System.Text.Json;
using Mirror.Cli.Commands;
using Mirror.Client.Tests.Cluster;

namespace Mirror.Cli.Tests.Cluster;

/// <summary>mirrorctl volume create/ls/rm/resize through the command table against a real MDS and OST.</summary>
public sealed class VolumeCommandTests : IAsyncLifetime
{
    private TestCluster cluster = null!;

    public async Task InitializeAsync() => cluster = await TestCluster.StartAsync("", "");

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    private async Task<(int Exit, string Out, string Err)> Run(string line, byte[]? stdin = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CommandTable.RunAsync(
            line.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            stdout,
            stderr,
            _ => new CliContext(stdout, stderr, () => cluster.ConnectAsync()) { OpenStdin = () => new MemoryStream(stdin ?? []) });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Create_ls_resize_and_rm()
    {
        var created = await Run("volume create pvc-1 --capacity 10G --owner default/data");
        Assert.True(created.Exit == 0, created.Err);
        Assert.Equal($"pvc-1 {10L << 30} 0 1 default/data /volumes/pvc-1\n", created.Out.ReplaceLineEndings("\n"));
        Assert.Equal(0, (await Run("volume create pvc-1 --capacity 10Gi --owner default/data")).Exit); // a retry succeeds
        var clash = await Run("volume create pvc-1 --capacity 20G");
        Assert.Equal(1, clash.Exit);
        Assert.Contains("exists", clash.Err);

        Assert.Equal(0, (await Run("volume create mirrored --capacity 1M -N2 --json")).Exit);
        var ls = await Run("volume ls --json");
        var volumes = JsonDocument.Parse(ls.Out).RootElement;
        Assert.Equal(["mirrored", "pvc-1"], volumes.EnumerateArray().Select(v => v.GetProperty("name").GetString()));
        Assert.Equal(2, volumes[0].GetProperty("mirrors").GetInt32());
        Assert.Equal(1L << 20, volumes[0].GetProperty("capacity_bytes").GetInt64());
        var text = (await Run("volume ls")).Out.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("NAME CAPACITY USED FILES OWNER PATH", text[0]);
        Assert.Equal($"mirrored {1 << 20} 0 1 - /volumes/mirrored", text[1]);

        // Existing path commands work inside a volume; the quota shows in ls.
        Assert.Equal(0, (await Run("put - /volumes/mirrored/f", stdin: new byte[1000])).Exit);
        Assert.StartsWith($"mirrored {1 << 20} 1000 2 ", (await Run("volume ls")).Out.ReplaceLineEndings("\n").Split('\n')[1]);
        var big = await Run("put - /volumes/mirrored/g", stdin: new byte[(1 << 20) - 999]);
        Assert.Equal(1, big.Exit);
        Assert.Contains("past its capacity", big.Err);

        var shrink = await Run("volume resize mirrored --capacity 500");
        Assert.Equal(1, shrink.Exit);
        Assert.Equal($"mirrored 4096 1000 3 - /volumes/mirrored\n", (await Run("volume resize mirrored --capacity 4k")).Out.ReplaceLineEndings("\n"));

        var notEmpty = await Run("volume rm mirrored");
        Assert.Equal(1, notEmpty.Exit);
        Assert.Contains("mirrored", notEmpty.Err);
        Assert.Equal(0, (await Run("volume rm mirrored --force")).Exit);
        Assert.Equal(0, (await Run("volume rm pvc-1")).Exit);
        Assert.Equal(["NAME CAPACITY USED FILES OWNER PATH"], (await Run("volume ls")).Out.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var gone = await Run("volume rm pvc-1");
        Assert.Equal(1, gone.Exit);
        Assert.Contains("no volume 'pvc-1'", gone.Err);
    }
}
