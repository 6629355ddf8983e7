using System.Text.Json;
using System.Text.Json.Serialization;
using Mirror.Core.Errors;

namespace Mirror.Cli.Local;

/// <summary>
/// DIR/cluster.json: what `local up` started and where. The pids and addresses are updated whenever a
/// process is (re)started; the file is rewritten atomically (tmp + rename) so a reader never sees half.
/// </summary>
internal sealed class ClusterState
{
    public const string FileName = "cluster.json";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public string Dir { get; set; } = "";

    public string TokenFile { get; set; } = "";

    public List<ClusterProcess> Processes { get; set; } = [];

    public List<string> Mountpoints { get; set; } = [];

    [JsonIgnore]
    public ClusterProcess Mds => Processes.FirstOrDefault(p => p.Role == "mds")
        ?? throw new MirrorException(Errno.EINVAL, $"{Path.Combine(Dir, FileName)} lists no mds process");

    public static string PathIn(string dir) => Path.Combine(dir, FileName);

    /// <summary>Null when the folder holds no cluster.json.</summary>
    public static ClusterState? Load(string dir)
    {
        var path = PathIn(dir);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ClusterState>(File.ReadAllText(path), Json)
                ?? throw new MirrorException(Errno.EINVAL, $"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new MirrorException(Errno.EINVAL, $"{path} is not a cluster file: {e.Message}", e);
        }
    }

    public void Save()
    {
        var path = PathIn(Dir);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The process called <paramref name="name"/>, or a usage error listing the names there are.</summary>
    public ClusterProcess Find(string name) =>
        Processes.FirstOrDefault(p => p.Name == name)
        ?? throw new LocalUsageException($"no process named '{name}' in the cluster at {Dir} (processes: {string.Join(", ", Processes.Select(p => p.Name))})");
}

/// <summary>One daemon of the local cluster, as recorded in cluster.json.</summary>
internal sealed class ClusterProcess
{
    /// <summary>mds-0, ost-0, ost-1, ...</summary>
    public string Name { get; set; } = "";

    /// <summary>The mirrord role: mds or ost.</summary>
    public string Role { get; set; } = "";

    public int Index { get; set; }

    /// <summary>host:port of its gRPC listener; empty until it first started. Restarts reuse the port.</summary>
    public string Address { get; set; } = "";

    /// <summary>http://host:port/ of /metrics and /healthz.</summary>
    public string Metrics { get; set; } = "";

    /// <summary>The pid it last ran with (may be dead; <see cref="DaemonProcesses.IsRunning"/> checks).</summary>
    public int Pid { get; set; }

    public List<string> Labels { get; set; } = [];

    public string Pool { get; set; } = "";

    public string FailureDomain { get; set; } = "";

    /// <summary>Its data folder, absolute.</summary>
    public string Data { get; set; } = "";

    /// <summary>Its log file (stdout and stderr, appended across restarts), absolute.</summary>
    public string Log { get; set; } = "";

    /// <summary>Role options given to `local up` (the MDS's IWM timeouts), passed to mirrord at every start.</summary>
    public List<string> Options { get; set; } = [];
}

/// <summary>Bad input to a `local` command (unknown process name, bad option): exit code 2, nothing changed.</summary>
internal sealed class LocalUsageException(string message) : Exception(message);
