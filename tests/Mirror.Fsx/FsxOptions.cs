namespace Mirror.Fsx;

/// <summary>What one checker run does.</summary>
/// <param name="Seed">Seeds the operation sequence; the same seed replays the same run.</param>
/// <param name="Operations">How many operations to run.</param>
/// <param name="MaxFileSize">No operation takes the file past this size.</param>
/// <param name="MaxOpLength">Longest single read, write or punched hole.</param>
/// <param name="PunchHole">Whether to issue fallocate(PUNCH_HOLE|KEEP_SIZE) (off where unsupported).</param>
/// <param name="LogLength">How many recent operations a failure report lists.</param>
public sealed record FsxOptions(
    int Seed,
    int Operations = 1000,
    long MaxFileSize = 256 * 1024,
    int MaxOpLength = 64 * 1024,
    bool PunchHole = true,
    int LogLength = 50)
{
    public const string SeedVariable = "MIRROR_FSX_SEED";

    /// <summary>The seed from $MIRROR_FSX_SEED when set, else a random one (the run always prints it).</summary>
    public static int SeedFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(SeedVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return Random.Shared.Next(1, int.MaxValue);
        }

        return int.TryParse(text, out var seed)
            ? seed
            : throw new ArgumentException($"{SeedVariable}='{text}' is not an integer seed");
    }
}
