using System.Text.Json;
using Mirror.Cluster.Tests.Harness;

namespace Mirror.Cluster.Tests.Iwm;

/// <summary>`mirrorctl local up --client-lease-ms/--lock-callback-timeout-ms/--recovery-window-ms`: the MDS runs with them, also after `local start mds-0`.</summary>
public sealed class LocalUpMdsOptionsTests
{
    private static readonly string[] Expected = ["--client-lease-ms", "2100", "--lock-callback-timeout-ms", "1600", "--recovery-window-ms", "2200"];

    [Fact]
    public async Task The_MDS_options_of_local_up_are_recorded_and_passed_at_every_start()
    {
        await using var cluster = await IwmCluster.StartAsync(new IwmMdsOptions(2100, 1600, 2200), osts: 1);

        Assert.Equal(Expected, RecordedOptions(cluster.Cluster.Dir));
        AssertRunsWith(cluster.MdsPid, Expected);

        await cluster.KillMdsAsync();
        await cluster.StartMdsAsync();
        AssertRunsWith(cluster.MdsPid, Expected);

        // Given to a running cluster: recorded (replacing that option), applied at the next start.
        var again = await cluster.Cluster.RunCtlAsync("local", "up", "--client-lease-ms", "3000");
        Assert.True(again.Exit == 0, again.ToString());
        Assert.Contains("applies when it starts again", again.Stdout);
        string[] updated = ["--lock-callback-timeout-ms", "1600", "--recovery-window-ms", "2200", "--client-lease-ms", "3000"];
        Assert.Equal(updated, RecordedOptions(cluster.Cluster.Dir));
        AssertRunsWith(cluster.MdsPid, Expected);
        await cluster.KillMdsAsync();
        await cluster.StartMdsAsync();
        AssertRunsWith(cluster.MdsPid, updated);
    }

    private static string[] RecordedOptions(string dir)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "cluster.json")));
        var mds = json.RootElement.GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "mds-0");
        return mds.GetProperty("options").EnumerateArray().Select(o => o.GetString()!).ToArray();
    }

    private static void AssertRunsWith(int pid, string[] options)
    {
        var argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
        for (var i = 0; i < options.Length; i += 2)
        {
            var at = Array.IndexOf(argv, options[i]);
            Assert.True(at >= 0 && argv[at + 1] == options[i + 1], $"mds pid {pid} runs without {options[i]} {options[i + 1]}: {string.Join(' ', argv)}");
        }
    }
}
