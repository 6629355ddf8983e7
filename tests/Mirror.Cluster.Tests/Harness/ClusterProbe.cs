using System.Text.Json;
using Mirror.Cli.Commands;

namespace Mirror.Cluster.Tests.Harness;

/// <summary>
/// What the acceptance tests look at through real mirrorctl processes: layouts (`getstripe --json`), one
/// mirror's bytes (`mirror read --mirror-id`), the namespace (`ls -l`) and the changelog (`changelog --json`).
/// Local files go to a temp folder deleted on Dispose.
/// </summary>
public sealed class ClusterProbe(LocalCluster cluster) : IDisposable
{
    private readonly string work = Directory.CreateTempSubdirectory("cluster-probe-").FullName;

    public LocalCluster Cluster => cluster;

    /// <summary>mirrorctl that must exit 0; the failure message carries its output and the daemon logs.</summary>
    public async Task<CtlResult> Ctl(params string[] args)
    {
        var result = await cluster.RunCtlAsync(args);
        if (result.Exit != 0)
        {
            throw new InvalidOperationException($"mirrorctl {string.Join(' ', args)} failed: {result}\n{cluster.Logs()}");
        }

        return result;
    }

    /// <summary>mirrorctl that must fail: returns its result for the message checks.</summary>
    public async Task<CtlResult> CtlFails(params string[] args)
    {
        var result = await cluster.RunCtlAsync(args);
        Assert.True(result.Exit != 0, $"mirrorctl {string.Join(' ', args)} should have failed: {result}");
        return result;
    }

    public async Task<JsonElement> Layout(string path) =>
        JsonDocument.Parse((await Ctl("getstripe", "--json", path)).Stdout).RootElement.Clone();

    /// <summary>getstripe --json of several files in one process: path → layout.</summary>
    public async Task<Dictionary<string, JsonElement>> Layouts(IReadOnlyCollection<string> paths)
    {
        if (paths.Count == 0)
        {
            return [];
        }

        var root = JsonDocument.Parse((await Ctl(["getstripe", "--json", .. paths])).Stdout).RootElement.Clone();
        var layouts = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList() : [root];
        return layouts.ToDictionary(l => l.GetProperty("path").GetString()!);
    }

    public static JsonElement Mirror(JsonElement layout, int id) =>
        layout.GetProperty("mirrors").EnumerateArray().Single(m => m.GetProperty("mirror_id").GetInt32() == id);

    public static int[] MirrorIds(JsonElement layout) =>
        [.. layout.GetProperty("mirrors").EnumerateArray().Select(m => m.GetProperty("mirror_id").GetInt32())];

    public static bool Stale(JsonElement layout, int id) => Mirror(layout, id).GetProperty("stale").GetBoolean();

    public static JsonElement Component(JsonElement layout, int mirrorId, int index) =>
        Mirror(layout, mirrorId).GetProperty("components")[index];

    public static int[] Osts(JsonElement mirror) =>
        [.. mirror.GetProperty("components").EnumerateArray().SelectMany(c => c.GetProperty("osts").EnumerateArray().Select(o => o.GetInt32())).Distinct().Order()];

    /// <summary>`mirror read --mirror-id ID -o LOCAL PATH`: the mirror's bytes and what it said on stderr.</summary>
    public async Task<(byte[] Bytes, string Stderr)> MirrorBytes(string path, int mirrorId)
    {
        var local = Path.Combine(work, "mirror-" + Guid.NewGuid().ToString("N"));
        var result = await Ctl("mirror", "read", "--mirror-id", mirrorId.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", local, path);
        return (await File.ReadAllBytesAsync(local), result.Stderr);
    }

    /// <summary>A local file of <paramref name="bytes"/> seeded random bytes.</summary>
    public string LocalFile(int bytes, int seed, out byte[] data)
    {
        data = new byte[bytes];
        new Random(seed).NextBytes(data);
        var path = Path.Combine(work, $"data-{seed}-{bytes}");
        File.WriteAllBytes(path, data);
        return path;
    }

    public async Task<bool> Exists(string path) => (await cluster.RunCtlAsync("stat", path)).Exit == 0;

    /// <summary>The changelog as JSON records.</summary>
    public async Task<List<JsonElement>> Changelog(ulong after = 0) =>
        [.. JsonDocument.Parse((await Ctl("changelog", "--json", "--after", after.ToString(System.Globalization.CultureInfo.InvariantCulture))).Stdout).RootElement.Clone().EnumerateArray()];

    /// <summary>
    /// What a refused command must leave as it was: `ls -l /`, `ls -l DIR`, `getstripe --json` of
    /// <paramref name="files"/> (layout_generation included) and the last index of `changelog --json`. These
    /// are the mirrorctl commands themselves, run in this process through <see cref="CommandTable"/> against
    /// the cluster folder: the same code and output as the binary without a process start per look, which
    /// keeps the suite fast; the command under test still runs as its own process.
    /// </summary>
    public async Task<string> Snapshot(string dir, params string[] files)
    {
        var records = JsonDocument.Parse(await InProcess("changelog", "--json")).RootElement.EnumerateArray().ToList();
        return string.Join('\n', [
            $"ls -l /:\n{await InProcess("ls", "-l", "/")}",
            $"ls -l {dir}:\n{await InProcess("ls", "-l", dir)}",
            .. files.Length == 0 ? [] : new[] { await InProcess(["getstripe", "--json", .. files]) },
            $"changelog last index: {(records.Count == 0 ? 0 : records[^1].GetProperty("index").GetUInt64())}",
        ]);
    }

    /// <summary>A read-only mirrorctl command run in this process; its stdout.</summary>
    public async Task<string> InProcess(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CommandTable.RunAsync(["--cluster", cluster.Dir, .. args], stdout, stderr);
        if (exit != 0)
        {
            throw new InvalidOperationException($"mirrorctl {string.Join(' ', args)} (in process) failed: exit {exit}\n{stderr}");
        }

        return stdout.ToString();
    }

    public static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    public void Dispose() => Directory.Delete(work, recursive: true);
}
