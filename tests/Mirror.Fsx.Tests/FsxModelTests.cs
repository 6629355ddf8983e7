using Mirror.Fsx;

namespace Mirror.Fsx.Tests;

public sealed class FsxModelTests
{
    [Fact]
    public void TruncateDownThenUpReadsZerosWhereDataWas()
    {
        var model = new FsxModel(100);
        model.Write(1, 0, new byte[] { 1, 2, 3, 4, 5, 6 });
        model.Truncate(2);
        model.Truncate(6);

        Assert.Equal(new byte[] { 1, 2, 0, 0, 0, 0 }, model.Bytes(0, 6).ToArray());
        Assert.Equal(0, model.WriterOf(3));
        Assert.Equal(1, model.WriterOf(1));
    }

    [Fact]
    public void PunchHoleKeepsTheSizeAndZerosOnlyInsideTheFile()
    {
        var model = new FsxModel(100);
        model.Write(3, 10, new byte[] { 9, 9, 9, 9 });
        model.PunchHole(12, 50);

        Assert.Equal(14, model.Size);
        Assert.Equal(new byte[] { 9, 9, 0, 0 }, model.Bytes(10, 4).ToArray());
    }

    [Fact]
    public void AWritePastTheEndLeavesAHoleOfZeros()
    {
        var model = new FsxModel(100);
        model.Write(1, 5, new byte[] { 7 });

        Assert.Equal(6, model.Size);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 7 }, model.Bytes(0, 6).ToArray());
    }
}
