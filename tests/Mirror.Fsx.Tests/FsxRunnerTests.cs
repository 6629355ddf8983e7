using Mirror.Fsx;

namespace Mirror.Fsx.Tests;

/// <summary>The checker itself: it passes on local file systems and catches each kind of wrong answer.</summary>
public sealed class FsxRunnerTests
{
    private const int Seed = 20261121;

    [Theory]
    [InlineData("/tmp")]
    [InlineData("/dev/shm")]
    public void PassesOnALocalFileSystem(string parent)
    {
        Assert.True(Directory.Exists(parent), $"{parent} must exist on a Linux test machine");
        using var folder = new TempFolder(parent);
        using var file = PosixFile.Create(folder.File("f"));

        var result = new FsxRunner(new FsxOptions(Seed, Operations: 3000)).Run(file);

        Assert.True(result.Passed, result.Report);
        Assert.Equal(3000, result.OperationsDone);
        Assert.Contains($"seed {Seed}", result.Report);
    }

    [Theory]
    [InlineData(Corruption.FlipReadBit, "bytes differ")]
    [InlineData(Corruption.LoseWrite, "bytes differ|file size is")]
    [InlineData(Corruption.IgnoreTruncate, "file size is")]
    [InlineData(Corruption.IgnorePunch, "bytes differ")]
    public void FailsOnACorruptingFileAndPrintsTheSeed(Corruption corruption, string symptom)
    {
        using var folder = new TempFolder("/tmp");
        using var file = new CorruptingFile(PosixFile.Create(folder.File("f")), corruption, from: 20);

        var result = new FsxRunner(new FsxOptions(Seed, Operations: 2000)).Run(file);

        Assert.False(result.Passed);
        Assert.Contains($"FAILED with seed {Seed}", result.Report);
        Assert.Contains($"{FsxOptions.SeedVariable}={Seed}", result.Report);
        Assert.Matches(symptom, result.Report);
        Assert.Contains("last ", result.Report);
        Assert.True(result.OperationsDone < 2000, "the run stops at the first difference");
    }

    [Fact]
    public void AFailureShowsAHexDiffAndTheWriterOfTheExpectedByte()
    {
        using var folder = new TempFolder("/tmp");
        using var file = new CorruptingFile(PosixFile.Create(folder.File("f")), Corruption.FlipReadBit, from: 1);

        var result = new FsxRunner(new FsxOptions(Seed, Operations: 500, PunchHole: false)).Run(file);

        Assert.False(result.Passed);
        var lines = result.Report.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("offset ", StringComparison.Ordinal) && l.Contains("expected") && l.Contains("actual"));
        Assert.Contains(lines, l => l.Length > 12 && l[12] == '*');
        Assert.Contains("1 bytes differ", result.Report);
        Assert.Matches("written by operation [0-9]+|a hole or never written", result.Report);
    }

    [Fact]
    public void TheSameSeedReplaysTheSameFailure()
    {
        string Run()
        {
            using var folder = new TempFolder("/tmp");
            using var file = new CorruptingFile(PosixFile.Create(folder.File("f")), Corruption.LoseWrite, from: 7);
            return new FsxRunner(new FsxOptions(Seed, Operations: 1000)).Run(file).Report;
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void TheOpLogKeepsTheLastOperationsOnly()
    {
        using var folder = new TempFolder("/tmp");
        using var file = new CorruptingFile(PosixFile.Create(folder.File("f")), Corruption.FlipReadBit, from: 200);

        var result = new FsxRunner(new FsxOptions(Seed, Operations: 2000, LogLength: 10)).Run(file);

        Assert.False(result.Passed);
        var logLines = result.Report.Split('\n').SkipWhile(l => !l.StartsWith("last ", StringComparison.Ordinal)).Skip(1).Where(l => l.Length > 0).ToArray();
        Assert.Equal(10, logLines.Length);
        Assert.Contains("read", logLines[^1]);
    }

    [Fact]
    public void TheFileNeverGrowsPastTheMaximum()
    {
        using var folder = new TempFolder("/tmp");
        var path = folder.File("f");
        using (var file = PosixFile.Create(path))
        {
            Assert.True(new FsxRunner(new FsxOptions(Seed, Operations: 500, MaxFileSize: 10_000, MaxOpLength: 3000)).Run(file).Passed);
        }

        Assert.InRange(new FileInfo(path).Length, 0, 10_000);
    }
}
