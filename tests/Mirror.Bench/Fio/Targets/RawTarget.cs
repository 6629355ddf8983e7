namespace Mirror.Bench.Fio.Targets;

/// <summary>A plain directory on the disk that holds the scratch folder: the baseline.</summary>
internal sealed class RawTarget(string scratch) : IBenchTarget
{
    private readonly string dir = Path.Combine(scratch, "raw");

    public string Name => "raw disk";

    public Task<string> SetUpAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        return Task.FromResult(dir);
    }

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
