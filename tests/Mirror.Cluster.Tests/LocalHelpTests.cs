using Mirror.Cluster.Tests.Harness;

namespace Mirror.Cluster.Tests;

/// <summary>`mirrorctl local` help and usage errors, without a cluster.</summary>
public sealed class LocalHelpTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("local-help-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("up", "--osts")]
    [InlineData("up", "--client-lease-ms MS")]
    [InlineData("up", "--lock-callback-timeout-ms MS")]
    [InlineData("up", "--recovery-window-ms MS")]
    [InlineData("down", "--purge")]
    [InlineData("status", "--json")]
    [InlineData("start", "NAME")]
    [InlineData("stop", "NAME")]
    public async Task EverySubcommand_HasHelpNamingItsOptions(string command, string option)
    {
        var result = await Ctl("local", command, "--help");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.StartsWith($"usage: mirrorctl local {command}", result.Stdout);
        Assert.Contains(option, result.Stdout);
        Assert.Contains("--dir DIR", result.Stdout);
    }

    [Fact]
    public async Task LocalHelp_ListsTheCommands()
    {
        var result = await Ctl("local", "--help");

        Assert.Equal(0, result.Exit);
        Assert.All(new[] { "up", "down", "status", "start", "stop" }, c => Assert.Contains($"  {c}", result.Stdout));
    }

    [Theory]
    [InlineData(new[] { "local", "sideways" }, "unknown command 'sideways'")]
    [InlineData(new[] { "local", "up", "--osts", "0" }, "--osts '0'")]
    [InlineData(new[] { "local", "up", "--bogus" }, "unknown option --bogus")]
    [InlineData(new[] { "local", "up", "--client-lease-ms", "99" }, "--client-lease-ms '99' is not a whole number from 100")]
    [InlineData(new[] { "local", "up", "--lock-callback-timeout-ms=soon" }, "--lock-callback-timeout-ms 'soon'")]
    [InlineData(new[] { "local", "up", "--recovery-window-ms", "-1" }, "--recovery-window-ms '-1'")]
    [InlineData(new[] { "local", "up", "--recovery-window-ms" }, "--recovery-window-ms needs a value")]
    [InlineData(new[] { "local", "stop" }, "NAME")]
    public async Task BadInput_ExitsTwoNamingItAndCreatesNothing(string[] args, string named)
    {
        var result = await Ctl(args);

        Assert.True(result.Exit == 2, result.ToString());
        Assert.Contains(named, result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public async Task UpOnAFileInsteadOfAFolder_ExitsOneNamingItAndLeavesTheFile()
    {
        var file = Path.Combine(dir, "not-a-folder");
        await File.WriteAllTextAsync(file, "keep me");

        var result = await Ctl("local", "up", "--dir", file);

        Assert.True(result.Exit == 1, result.ToString());
        Assert.Contains($"--dir {file}: is a file", result.Stderr);
        Assert.Equal("keep me", await File.ReadAllTextAsync(file));
        Assert.Equal(new[] { file }, Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public async Task StatusWithoutACluster_ExitsOne()
    {
        var result = await Ctl("local", "status");

        Assert.Equal(1, result.Exit);
        Assert.Contains("no cluster", result.Stderr);
    }

    private Task<CtlResult> Ctl(params string[] args) =>
        CtlRunner.RunDllAsync("mirrorctl.dll", args, new Dictionary<string, string?> { ["MIRROR_CLUSTER_DIR"] = dir });
}
