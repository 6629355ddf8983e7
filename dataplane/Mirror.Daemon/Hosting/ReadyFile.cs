using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mirror.Daemon.Hosting;

/// <summary>
/// What a daemon tells its launcher once it listens. Written to a temporary name and renamed, so a reader
/// sees either nothing or the whole file (rename(2) is atomic within one file system).
/// </summary>
internal sealed record ReadyFile(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("metrics")] string? Metrics,
    [property: JsonPropertyName("pid")] int Pid)
{
    public void WriteAtomically(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = $"{full}.{Pid}.tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, this);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, full, overwrite: true);
    }
}
