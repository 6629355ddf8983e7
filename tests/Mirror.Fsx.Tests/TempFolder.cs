namespace Mirror.Fsx.Tests;

/// <summary>A fresh folder under <paramref name="parent"/>, deleted with everything in it on dispose.</summary>
public sealed class TempFolder(string parent) : IDisposable
{
    public string Path { get; } = Directory.CreateDirectory(System.IO.Path.Combine(parent, $"fsx-{Guid.NewGuid():N}")).FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
