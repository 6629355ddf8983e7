using System.Text.Json;

namespace Mirror.Cluster.Tests.Harness;

/// <summary>Reading `mirrorctl getstripe --json FILE` output in the tests.</summary>
public static class Layouts
{
    public sealed record Mirror(int Id, bool Stale, bool Prefer, int[] Osts);

    public static async Task<(string Json, List<Mirror> Mirrors)> GetAsync(LocalCluster cluster, string path)
    {
        var result = await cluster.RunCtlAsync("getstripe", "--json", path);
        if (result.Exit != 0)
        {
            throw new InvalidOperationException($"getstripe --json {path} failed: {result}");
        }

        using var doc = JsonDocument.Parse(result.Stdout);
        var mirrors = doc.RootElement.GetProperty("mirrors").EnumerateArray().Select(m => new Mirror(
            m.GetProperty("mirror_id").GetInt32(),
            m.GetProperty("stale").GetBoolean(),
            m.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "prefer"),
            [.. m.GetProperty("components").EnumerateArray().SelectMany(c => c.GetProperty("osts").EnumerateArray().Select(o => o.GetInt32())).Distinct()])).ToList();
        return (result.Stdout, mirrors);
    }

    /// <summary>The mirror a client reads first: readable, PREFER first, then the lowest id.</summary>
    public static Mirror Preferred(IEnumerable<Mirror> mirrors) =>
        mirrors.Where(m => !m.Stale).OrderByDescending(m => m.Prefer).ThenBy(m => m.Id).First();
}
