using System.Text.Json;
using Mirror.Cli.Commands;
using Mirror.Client.Tests.Cluster;

namespace Mirror.Cli.Tests.Cluster;

/// <summary>The flr-overview Examples run through the command table against a real MDS and real OSTs.</summary>
public sealed class ExamplesEndToEndTests : IAsyncLifetime
{
    private TestCluster cluster = null!;

    private static byte[] Data(int n, int seed)
    {
        var d = new byte[n];
        new Random(seed).NextBytes(d);
        return d;
    }

    public async Task InitializeAsync() =>
        cluster = await TestCluster.StartAsync("flash", "flash", "archive", "archive", "archive");

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    private async Task<(int Exit, string Out, string Err)> Run(string line, byte[]? stdin = null, MemoryStream? stdoutBytes = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CommandTable.RunAsync(
            line.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            stdout,
            stderr,
            _ => new CliContext(stdout, stderr, () => cluster.ConnectAsync())
            {
                OpenStdin = () => new MemoryStream(stdin ?? []),
                OpenStdout = () => stdoutBytes ?? new MemoryStream(),
            });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private async Task<JsonElement> Getstripe(string path)
    {
        var (exit, stdout, stderr) = await Run($"getstripe --json {path}");
        Assert.True(exit == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement;
    }

    [Fact]
    public async Task Basic_mirrored_file_then_write_and_resync()
    {
        Assert.Equal(0, (await Run("mirror create -N 2 -S 4M -c 2 -p flash -N -c 32 -p archive /file1")).Exit);
        var layout = await Getstripe("/file1");
        Assert.Equal(3, layout.GetProperty("mirror_count").GetInt32());
        Assert.Equal("flash", layout.GetProperty("mirrors")[0].GetProperty("components")[0].GetProperty("pool").GetString());
        Assert.Equal("archive", layout.GetProperty("mirrors")[2].GetProperty("components")[0].GetProperty("pool").GetString());

        var data = Data(5 << 20, 1);
        Assert.Equal(0, (await Run("put - /file1", stdin: data)).Exit);
        var written = await Getstripe("/file1");
        Assert.Equal("wp", written.GetProperty("flr_state").GetString());
        Assert.Equal(2, written.GetProperty("mirrors").EnumerateArray().Count(m => m.GetProperty("stale").GetBoolean()));

        Assert.Equal(0, (await Run("mirror resync /file1")).Exit);
        var synced = await Getstripe("/file1");
        Assert.Equal("ro", synced.GetProperty("flr_state").GetString());
        Assert.All(synced.GetProperty("mirrors").EnumerateArray(), m => Assert.False(m.GetProperty("stale").GetBoolean()));
        var (verifyExit, verifyOut, _) = await Run("mirror verify -v /file1");
        Assert.Equal(0, verifyExit);
        Assert.Contains("are identical", verifyOut);

        var output = new MemoryStream();
        Assert.Equal(0, (await Run("cat /file1", stdoutBytes: output)).Exit);
        Assert.Equal(data, output.ToArray());
    }

    [Fact]
    public async Task Pfl_mirrored_file_and_verify_of_chosen_mirrors()
    {
        var (exit, _, err) = await Run("mirror create -N -E 4M -p flash --flags=prefer -E eof -c 2 -N -E 16M -S 8M -c 4 -p archive -E eof -c -1 /file2");
        Assert.True(exit == 0, err);
        var layout = await Getstripe("/file2");
        var first = layout.GetProperty("mirrors")[0];
        Assert.Equal(["prefer"], first.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(4 << 20, first.GetProperty("components")[0].GetProperty("extent_end").GetInt64());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("components")[1].GetProperty("extent_end").ValueKind);

        Assert.Equal(0, (await Run("mirror verify -v --only 1,2 /file2")).Exit);
        var (badExit, _, badErr) = await Run("mirror verify --only 1,4 /file2");
        Assert.Equal(1, badExit);
        Assert.Equal("mirrorctl: mirror verify: unknown mirror id 4 in /file2\n", badErr.Replace("\r", ""));
    }

    [Fact]
    public async Task Setstripe_extend_split_and_destroy()
    {
        Assert.Equal(0, (await Run("setstripe -p flash /file1")).Exit);
        Assert.Equal(0, (await Run("put - /file1", stdin: Data(3 << 20, 2))).Exit);
        var (extendExit, _, extendErr) = await Run("mirror extend -N -S 8M -c -1 -p archive /file1");
        Assert.True(extendExit == 0, extendErr);
        Assert.Equal(2, (await Getstripe("/file1")).GetProperty("mirror_count").GetInt32());

        Assert.Equal(0, (await Run("setstripe -c 1 /victim_file")).Exit);
        Assert.Equal(0, (await Run("mirror extend --no-verify -N -f /victim_file /file1")).Exit);
        Assert.Equal(3, (await Getstripe("/file1")).GetProperty("mirror_count").GetInt32());
        Assert.Equal(1, (await Run("stat /victim_file")).Exit);
        Assert.Equal(0, (await Run("mirror verify /file1")).Exit);

        Assert.Equal(0, (await Run("mirror split --mirror-id 1 /file1")).Exit);
        Assert.Equal(0, (await Run("stat /file1.mirror~1")).Exit);
        Assert.Equal(0, (await Run("mirror split --mirror-id 2 -d /file1")).Exit);
        Assert.Equal(1, (await Getstripe("/file1")).GetProperty("mirror_count").GetInt32());
        var (splitExit, _, splitErr) = await Run("mirror split --mirror-id 7 /file1");
        Assert.Equal(1, splitExit);
        Assert.Equal("mirrorctl: mirror split: unknown mirror id 7 in /file1\n", splitErr.Replace("\r", ""));
    }

    [Fact]
    public async Task Extend_refuses_a_victim_with_other_data_and_changes_nothing()
    {
        Assert.Equal(0, (await Run("put - /file1", stdin: [1, 2, 3])).Exit);
        Assert.Equal(0, (await Run("put - /victim", stdin: [1, 2, 4])).Exit);

        var (exit, _, err) = await Run("mirror extend -N -f /victim /file1");

        Assert.Equal(1, exit);
        Assert.Equal("mirrorctl: /victim: differs from /file1 at offset 2; not extending (--no-verify skips this check)\n", err.Replace("\r", ""));
        Assert.Equal(1, (await Getstripe("/file1")).GetProperty("mirror_count").GetInt32());
        Assert.Equal(0, (await Run("stat /victim")).Exit);
    }

    [Fact]
    public async Task Find_by_mirror_count_and_state()
    {
        Assert.Equal(0, (await Run("mkdir /dir")).Exit);
        Assert.Equal(0, (await Run("mirror create -N2 /dir/two")).Exit);
        Assert.Equal(0, (await Run("setstripe -c 1 /one")).Exit);
        Assert.Equal(0, (await Run("put - /dir/two", stdin: [1, 2, 3])).Exit);

        var (_, mirrored, _) = await Run("find --mirror-count +1 --type f /");
        var (_, notRo, _) = await Run("find --mirror-state=^ro --type f /");
        var (_, dirs, _) = await Run("find / --type d");
        var (_, json, _) = await Run("find / --json");

        Assert.Equal("/dir/two\n", mirrored.Replace("\r", ""));
        Assert.Equal("/dir/two\n", notRo.Replace("\r", ""));
        Assert.Equal("/\n/dir\n", dirs.Replace("\r", ""));
        var entries = JsonDocument.Parse(json).RootElement.EnumerateArray().ToArray();
        var two = entries.Single(e => e.GetProperty("path").GetString() == "/dir/two");
        Assert.Equal(2, two.GetProperty("mirror_count").GetInt32());
        Assert.Equal("wp", two.GetProperty("flr_state").GetString());
        Assert.Equal("f", two.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Operation_errors_exit_1_and_name_the_path()
    {
        var (exit, _, err) = await Run("stat /nope");
        Assert.Equal(1, exit);
        Assert.Equal("mirrorctl: /nope: No such file or directory\n", err.Replace("\r", ""));

        Assert.Equal(0, (await Run("setstripe -c 1 /exists")).Exit);
        var (again, _, againErr) = await Run("setstripe -c 2 /exists");
        Assert.Equal(1, again);
        Assert.Equal("mirrorctl: /exists: File exists\n", againErr.Replace("\r", ""));
    }

    [Fact]
    public async Task Migrate_keeps_data_and_changes_the_layout()
    {
        var data = Data((2 << 20) + 7, 3);
        Assert.Equal(0, (await Run("put - /m", stdin: data)).Exit);
        var (exit, _, err) = await Run("migrate -c 2 -S 128k /m");
        Assert.True(exit == 0, err);

        var component = (await Getstripe("/m")).GetProperty("mirrors")[0].GetProperty("components")[0];
        Assert.Equal(2, component.GetProperty("stripe_count").GetInt32());
        Assert.Equal(128 * 1024, component.GetProperty("stripe_size").GetInt32());
        var output = new MemoryStream();
        Assert.Equal(0, (await Run("get /m -", stdoutBytes: output)).Exit);
        Assert.Equal(data, output.ToArray());
        var (_, ls, _) = await Run("ls /");
        Assert.Equal("m\n", ls.Replace("\r", ""));
    }
}
