using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Ost.Commit;
using Mirror.Ost.Objects;
using static Mirror.Ost.Tests.TestObjects;

namespace Mirror.Ost.Tests.Objects;

/// <summary>Large aligned writes bypass the page cache (DirectIo); everything else stays buffered, and reads see both.</summary>
public sealed class DirectIoTests : IDisposable
{
    private const int MiB = 1 << 20;

    private readonly TempDataDir dir = new();
    private readonly CommitJournal journal;
    private readonly ObjectStore store;

    public DirectIoTests()
    {
        journal = new CommitJournal(dir.Path, 0, NullLogger.Instance);
        store = new ObjectStore(dir.Path, journal, NullLogger.Instance, maxOpenObjects: 4);
    }

    public void Dispose()
    {
        store.Dispose();
        dir.Dispose();
    }

    [Fact]
    public void Large_aligned_write_goes_direct_and_reads_back()
    {
        var data = Pattern(3 * MiB, 1);

        store.Write(Key(FileA), 2 * MiB, data, 1);

        Assert.Equal(data.Length, store.DirectBytesWritten);
        var read = store.Read(Key(FileA), 2 * MiB, (uint)data.Length, 1);
        Assert.Equal(data, read.Data);
        Assert.Equal((ulong)(5 * MiB), read.ObjectSize);
    }

    [Fact]
    public unsafe void Aligned_payload_is_written_as_it_lies_and_unaligned_one_through_a_staging_buffer()
    {
        var data = Pattern(2 * MiB, 8);
        var aligned = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)data.Length + 4096, 4096);
        try
        {
            data.CopyTo(new Span<byte>(aligned, data.Length));
            store.Write(Key(FileA), 0, new ReadOnlySpan<byte>(aligned, data.Length), 0);
            Assert.Equal(0, store.StagedDirectBytes);

            data.CopyTo(new Span<byte>(aligned + 1, data.Length));
            store.Write(Key(FileB), 0, new ReadOnlySpan<byte>(aligned + 1, data.Length), 0);
            Assert.Equal(data.Length, store.StagedDirectBytes);
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(aligned);
        }

        Assert.Equal(2L * data.Length, store.DirectBytesWritten);
        Assert.Equal(data, store.Read(Key(FileA), 0, (uint)data.Length, 0).Data);
        Assert.Equal(data, store.Read(Key(FileB), 0, (uint)data.Length, 0).Data);
    }

    [Theory]
    [InlineData(4096, 4096)] // aligned but small
    [InlineData(1000, MiB)] // large but the offset is unaligned
    [InlineData(0, MiB + 10)] // large but the length is unaligned
    public void Small_or_unaligned_writes_stay_buffered_and_read_back(int offset, int length)
    {
        var data = Pattern(length, 2);

        store.Write(Key(FileA), (ulong)offset, data, 0);

        Assert.Equal(0, store.DirectBytesWritten);
        Assert.Equal(data, store.Read(Key(FileA), (ulong)offset, (uint)length, 0).Data);
    }

    [Fact]
    public void Direct_write_over_buffered_data_wins_and_buffered_write_into_direct_data_shows()
    {
        var key = Key(FileA);
        store.Write(key, 8192, Pattern(100, 3), 0); // buffered, dirty in the page cache
        var big = Pattern(MiB, 4);
        store.Write(key, 0, big, 0); // direct over it: the kernel flushes and drops the cached pages first
        var small = Pattern(100, 5);
        store.Write(key, 4096 + 7, small, 0); // buffered into the direct-written range

        var expected = (byte[])big.Clone();
        small.CopyTo(expected, 4096 + 7);
        Assert.Equal(expected, store.Read(key, 0, MiB, 0).Data);
        Assert.Equal(MiB, store.DirectBytesWritten);
    }

    [Fact]
    public void Direct_writes_are_committed_like_buffered_ones()
    {
        var transno = store.Write(Key(FileA), 0, Pattern(MiB, 6), 0);

        Assert.NotNull(journal.Commit());

        Assert.True(journal.LastCommitted >= transno);
        Assert.Equal((ulong)MiB, store.GetAttr(Key(FileA)).Size);
    }

    [Fact]
    public void Store_without_direct_io_keeps_every_write_buffered()
    {
        using var other = new TempDataDir();
        var otherJournal = new CommitJournal(other.Path, 1, NullLogger.Instance);
        using var buffered = new ObjectStore(other.Path, otherJournal, NullLogger.Instance, directIo: false);
        var data = Pattern(2 * MiB, 7);

        buffered.Write(Key(FileB), 0, data, 0);

        Assert.Equal(0, buffered.DirectBytesWritten);
        Assert.Equal(data, buffered.Read(Key(FileB), 0, (uint)data.Length, 0).Data);
    }

    [Fact]
    public void Objects_evicted_from_the_cache_close_their_direct_descriptor_and_reopen()
    {
        for (var round = 0; round < 2; round++)
        {
            for (uint stripe = 0; stripe < 6; stripe++)
            {
                store.Write(Key(FileA, 0, stripe), 0, Pattern(64 * 1024, (int)stripe + round), 0);
            }
        }

        Assert.Equal(12L * 64 * 1024, store.DirectBytesWritten);
        for (uint stripe = 0; stripe < 6; stripe++)
        {
            Assert.Equal(Pattern(64 * 1024, (int)stripe + 1), store.Read(Key(FileA, 0, stripe), 0, 64 * 1024, 0).Data);
        }
    }
}
