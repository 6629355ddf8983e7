namespace Mirror.Bench.Fio.Targets;

/// <summary>
/// A file system the same jobs run on. <see cref="SetUpAsync"/> (untimed) mounts or starts what it needs
/// and returns the directory to measure in; <see cref="IAsyncDisposable.DisposeAsync"/> unmounts and stops
/// everything it started, also after a failure.
/// </summary>
internal interface IBenchTarget : IAsyncDisposable
{
    /// <summary>The column heading.</summary>
    string Name { get; }

    /// <summary>What a reader of the table must know about how this column was measured (null: nothing).</summary>
    string? Note => null;

    /// <summary>Throws <see cref="TargetUnavailableException"/> when the target cannot run here; its column then says why.</summary>
    Task<string> SetUpAsync(CancellationToken ct);

    /// <summary>Creates the data file the fio jobs use, <paramref name="sizeMiB"/> long (sparse), so fio neither unlinks nor lays it out.</summary>
    Task CreateDataFileAsync(string path, long sizeMiB, CancellationToken ct)
    {
        using var h = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        RandomAccess.SetLength(h, sizeMiB << 20);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Checks after the jobs that the data file is still the one <see cref="CreateDataFileAsync"/> made, with the
    /// layout it was given, and says what it is (null: nothing to say); throws if it is not.
    /// </summary>
    Task<string?> CheckDataFileAsync(string path, CancellationToken ct) => Task.FromResult<string?>(null);
}

/// <summary>The target cannot be measured on this machine (tool missing, mount not available); the reason goes in the table.</summary>
internal sealed class TargetUnavailableException(string reason) : Exception(reason);
