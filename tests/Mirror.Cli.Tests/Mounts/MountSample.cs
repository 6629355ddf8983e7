using Mirror.Cli.Mounts;

namespace Mirror.Cli.Tests.Mounts;

/// <summary>The sample /proc/self/mountinfo beside the tests (copied to the output folder).</summary>
internal static class MountSample
{
    public static string Text => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Mounts", "mountinfo.sample"));

    public static MountTable Table => MountTable.Parse(Text);

    public static MountPathResolver Resolver(string workingDirectory = "/root") => new(() => Table, workingDirectory);
}
