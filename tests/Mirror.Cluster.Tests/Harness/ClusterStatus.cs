using System.Text.Json.Serialization;

namespace Mirror.Cluster.Tests.Harness;

/// <summary>`mirrorctl local status --json`, as the harness reads it (field names are the documented ones).</summary>
public sealed record ClusterStatus(
    [property: JsonPropertyName("dir")] string Dir,
    [property: JsonPropertyName("token_file")] string TokenFile,
    [property: JsonPropertyName("mds")] string Mds,
    [property: JsonPropertyName("processes")] List<ProcessStatus> Processes,
    [property: JsonPropertyName("mountpoints")] List<string> Mountpoints)
{
    public ProcessStatus this[string name] => Processes.Single(p => p.Name == name);
}

public sealed record ProcessStatus(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("metrics")] string Metrics,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("running")] bool Running,
    [property: JsonPropertyName("labels")] List<string> Labels,
    [property: JsonPropertyName("pool")] string Pool,
    [property: JsonPropertyName("failure_domain")] string FailureDomain,
    [property: JsonPropertyName("data")] string Data,
    [property: JsonPropertyName("log")] string Log);
