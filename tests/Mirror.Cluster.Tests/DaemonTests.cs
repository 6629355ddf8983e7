using System.Runtime.InteropServices;
using System.Text.Json;
using Mirror.Cluster.Tests.Harness;

namespace Mirror.Cluster.Tests;

/// <summary>mirrord on its own: its command line, its ready file, and a graceful SIGTERM.</summary>
public sealed partial class DaemonTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("mirrord-test-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("mds", new[] { "--data", "--token-file", "--listen", "--metrics-port", "--ready-file", "--log-format" })]
    [InlineData("ost", new[] { "--index", "--data", "--mds", "--token-file", "--pool", "--label", "--failure-domain", "--listen", "--metrics-port", "--commit-interval", "--ready-file" })]
    public async Task RoleHelp_ListsEveryOptionAndExitsZero(string role, string[] options)
    {
        var result = await CtlRunner.RunDllAsync("mirrord.dll", [role, "--help"]);

        Assert.True(result.Exit == 0, result.ToString());
        Assert.StartsWith($"usage: mirrord {role}", result.Stdout);
        Assert.All(options, o => Assert.Contains(o, result.Stdout));
    }

    [Theory]
    [InlineData(new[] { "ost", "--data", "d", "--mds", "127.0.0.1:1", "--token-file", "t" }, "--index")]
    [InlineData(new[] { "ost", "--index", "x", "--data", "d", "--mds", "127.0.0.1:1", "--token-file", "t" }, "--index 'x'")]
    [InlineData(new[] { "ost", "--index", "1", "--data", "d", "--mds", "nowhere", "--token-file", "t" }, "--mds 'nowhere'")]
    [InlineData(new[] { "mds", "--data", "d", "--token-file", "t", "--bogus", "1" }, "--bogus")]
    [InlineData(new[] { "mds", "--data", "d", "--token-file", "t", "--log-format", "xml" }, "--log-format 'xml'")]
    [InlineData(new[] { "mds", "--data", "d", "--token-file", "/nonexistent/token" }, "--token-file '/nonexistent/token'")]
    [InlineData(new[] { "nosuchrole" }, "unknown role 'nosuchrole'")]
    public async Task BadOrMissingOption_ExitsTwoNamingIt(string[] args, string named)
    {
        await File.WriteAllTextAsync(Path.Combine(dir, "t"), "secret\n");

        var result = await CtlRunner.RunDllAsync("mirrord.dll", args.Select(a => a is "d" or "t" ? Path.Combine(dir, a) : a));

        Assert.True(result.Exit == 2, result.ToString());
        Assert.Contains(named, result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "d")), "a refused start must not create its data folder");
    }

    [Fact]
    public async Task Mds_WritesTheReadyFileThenStopsWithExitZeroOnSigterm()
    {
        var tokenFile = Path.Combine(dir, "token");
        var readyFile = Path.Combine(dir, "run", "mds.ready");
        await File.WriteAllTextAsync(tokenFile, "secret\n");
        using var mds = CtlRunner.StartDll("mirrord.dll", ["mds", "--data", Path.Combine(dir, "mds"), "--token-file", tokenFile, "--ready-file", readyFile, "--log-format", "json"]);
        var stderr = mds.StandardError.ReadToEndAsync();
        try
        {
            await Wait.UntilAsync(() => File.Exists(readyFile) || mds.HasExited, TimeSpan.FromSeconds(60), "the mds ready file");
            Assert.True(File.Exists(readyFile), $"mds exited with {(mds.HasExited ? mds.ExitCode : -1)} before it was ready");

            using var ready = JsonDocument.Parse(await File.ReadAllTextAsync(readyFile));
            Assert.Equal("mds", ready.RootElement.GetProperty("role").GetString());
            Assert.Equal(0, ready.RootElement.GetProperty("index").GetInt32());
            Assert.Equal(mds.Id, ready.RootElement.GetProperty("pid").GetInt32());
            Assert.StartsWith("127.0.0.1:", ready.RootElement.GetProperty("address").GetString());
            Assert.StartsWith("http://127.0.0.1:", ready.RootElement.GetProperty("metrics").GetString());

            Assert.Equal(0, SendSignal(mds.Id, 15));
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await mds.WaitForExitAsync(deadline.Token);
            Assert.Equal(0, mds.ExitCode);
            var log = await stderr;
            Assert.Contains("\"SIGTERM received, stopping\"", log);
            Assert.All(log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('{')), l => JsonDocument.Parse(l).Dispose());
        }
        finally
        {
            if (!mds.HasExited)
            {
                mds.Kill();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);
}
