using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Core.Errors;
using Mirror.Ost.Commit;
using Mirror.Ost.Objects;
using static Mirror.Ost.Tests.TestObjects;

namespace Mirror.Ost.Tests.Objects;

public sealed class ObjectStoreTests : IDisposable
{
    private const int KeepSize = 1;
    private const int ZeroRange = 16;

    private readonly TempDataDir dir = new();
    private readonly CommitJournal journal;
    private readonly ObjectStore store;

    public ObjectStoreTests()
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
    public void Write_then_read_returns_the_same_bytes()
    {
        var data = Pattern(1 << 20, 1);
        store.Write(Key(FileA), 4096, data, 1);

        var read = store.Read(Key(FileA), 4096, (uint)data.Length, 1);

        Assert.True(read.Exists);
        Assert.Equal((ulong)(4096 + data.Length), read.ObjectSize);
        Assert.Equal(data, read.Data);
    }

    [Fact]
    public void Object_file_lives_under_the_fanned_out_path()
    {
        store.Write(Key(FileA, 2, 3), 0, [1], 0);

        var expected = Path.Combine(dir.Path, "objects", "200000401", "01", "200000401-1-0-c2-s3");
        Assert.True(File.Exists(expected), $"{expected} missing");
        Assert.Equal(1, store.ObjectCount);
    }

    [Fact]
    public void Sparse_hole_reads_as_zeros()
    {
        store.Write(Key(FileA), 1 << 20, [7, 7, 7], 0);

        var read = store.Read(Key(FileA), 0, 4096, 0);

        Assert.Equal(4096, read.Data.Length);
        Assert.All(read.Data, b => Assert.Equal(0, b));
        var attributes = store.GetAttr(Key(FileA));
        Assert.Equal((ulong)(1 << 20) + 3, attributes.Size);
        Assert.True(attributes.Blocks * 512 < 1 << 20, $"hole is allocated: {attributes.Blocks} blocks");
    }

    [Fact]
    public void Read_past_the_end_is_short_and_beyond_it_empty()
    {
        store.Write(Key(FileA), 0, Pattern(100, 2), 0);

        Assert.Equal(40, store.Read(Key(FileA), 60, 1000, 0).Data.Length);
        var beyond = store.Read(Key(FileA), 500, 10, 0);
        Assert.Empty(beyond.Data);
        Assert.True(beyond.Exists);
        Assert.Equal(100UL, beyond.ObjectSize);
    }

    [Fact]
    public void Read_of_a_missing_object_says_it_does_not_exist()
    {
        var read = store.Read(Key(FileB), 0, 10, 0);

        Assert.False(read.Exists);
        Assert.Empty(read.Data);
        Assert.False(store.GetAttr(Key(FileB)).Exists);
    }

    [Fact]
    public void Punch_zeroes_the_range_and_keeps_the_size()
    {
        var data = Pattern(64 * 1024, 3);
        store.Write(Key(FileA), 0, data, 0);

        store.Punch(Key(FileA), 8192, 16384, 0);

        var read = store.Read(Key(FileA), 0, (uint)data.Length, 0).Data;
        Assert.Equal(data.Length, read.Length);
        Assert.Equal(data.AsSpan(0, 8192).ToArray(), read.AsSpan(0, 8192).ToArray());
        Assert.All(read.AsSpan(8192, 16384).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(data.AsSpan(24576).ToArray(), read.AsSpan(24576).ToArray());
    }

    [Fact]
    public void Punch_to_eof_with_an_overlong_length_is_accepted()
    {
        store.Write(Key(FileA), 0, Pattern(8192, 4), 0);

        store.Punch(Key(FileA), 4096, ulong.MaxValue, 0);

        var read = store.Read(Key(FileA), 0, 8192, 0).Data;
        Assert.Equal(8192, read.Length);
        Assert.All(read.AsSpan(4096).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Fallocate_keep_size_allocates_without_extending()
    {
        store.Write(Key(FileA), 0, [1], 0);

        store.Fallocate(Key(FileA), 0, 1 << 20, KeepSize, 0);

        var attributes = store.GetAttr(Key(FileA));
        Assert.Equal(1UL, attributes.Size);
        Assert.True(attributes.Blocks * 512 >= 1 << 20, $"only {attributes.Blocks} blocks allocated");
    }

    [Fact]
    public void Fallocate_without_keep_size_extends()
    {
        store.Fallocate(Key(FileA), 4096, 8192, 0, 0);

        Assert.Equal(12288UL, store.GetAttr(Key(FileA)).Size);
        Assert.All(store.Read(Key(FileA), 0, 12288, 0).Data, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Fallocate_zero_range_zeroes_data()
    {
        store.Write(Key(FileA), 0, Pattern(8192, 5), 0);

        store.Fallocate(Key(FileA), 0, 4096, ZeroRange | KeepSize, 0);

        var read = store.Read(Key(FileA), 0, 8192, 0).Data;
        Assert.All(read.AsSpan(0, 4096).ToArray(), b => Assert.Equal(0, b));
        Assert.Contains(read.AsSpan(4096).ToArray(), b => b != 0);
    }

    [Theory]
    [InlineData(2u)] // PUNCH_HOLE without KEEP_SIZE
    [InlineData(0x40u)] // unknown bit
    [InlineData(19u)] // PUNCH_HOLE with ZERO_RANGE
    public void Fallocate_refuses_bad_modes(uint mode)
    {
        var e = Assert.Throws<MirrorException>(() => store.Fallocate(Key(FileA), 0, 10, mode, 0));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("mode", e.Message);
    }

    [Fact]
    public void Truncate_down_drops_data_and_up_reads_zeros()
    {
        store.Write(Key(FileA), 0, Pattern(8192, 6), 0);

        store.SetAttr(Key(FileA), 100, null, 0);
        Assert.Equal(100UL, store.GetAttr(Key(FileA)).Size);

        store.SetAttr(Key(FileA), 4096, null, 0);
        var read = store.Read(Key(FileA), 0, 8192, 0).Data;
        Assert.Equal(4096, read.Length);
        Assert.All(read.AsSpan(100).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void SetAttr_sets_mtime_to_the_nanosecond()
    {
        const long mtime = 1_700_000_000_123_456_789;
        store.Write(Key(FileA), 0, [1], 0);

        store.SetAttr(Key(FileA), null, mtime, 0);

        Assert.Equal(mtime, store.GetAttr(Key(FileA)).MtimeNs);
    }

    [Fact]
    public void Destroy_removes_the_object_and_is_idempotent()
    {
        store.Write(Key(FileA), 0, [1, 2, 3], 0);

        store.Destroy(Key(FileA));
        store.Destroy(Key(FileA));

        Assert.False(store.GetAttr(Key(FileA)).Exists);
        Assert.False(store.Read(Key(FileA), 0, 3, 0).Exists);
        Assert.Equal(0, store.ObjectCount);
    }

    [Fact]
    public void DestroyFile_removes_every_stripe_of_the_fid_and_nothing_else()
    {
        for (uint c = 0; c < 2; c++)
        {
            for (uint s = 0; s < 3; s++)
            {
                store.Write(Key(FileA, c, s), 0, [1], 0);
            }
        }

        store.Write(Key(FileB), 0, [2], 0);

        store.DestroyFile(FileA);

        for (uint c = 0; c < 2; c++)
        {
            for (uint s = 0; s < 3; s++)
            {
                Assert.False(store.GetAttr(Key(FileA, c, s)).Exists, $"c{c} s{s} survived");
            }
        }

        Assert.True(store.GetAttr(Key(FileB)).Exists);
        Assert.Equal(1, store.ObjectCount);
    }

    [Fact]
    public void Writes_to_more_objects_than_the_cache_holds_all_land()
    {
        for (uint s = 0; s < 10; s++)
        {
            store.Write(Key(FileA, 0, s), 0, [(byte)s], 0);
        }

        Assert.True(store.OpenObjects <= 4);
        for (uint s = 0; s < 10; s++)
        {
            Assert.Equal([(byte)s], store.Read(Key(FileA, 0, s), 0, 1, 0).Data);
        }
    }

    [Fact]
    public void Oversized_write_is_refused()
    {
        var e = Assert.Throws<MirrorException>(() => store.Write(Key(FileA), 0, new byte[ObjectStore.MaxIoBytes + 1], 0));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.False(store.GetAttr(Key(FileA)).Exists);
    }

    [Fact]
    public void Offset_overflow_is_refused()
    {
        var e = Assert.Throws<MirrorException>(() => store.Write(Key(FileA), ulong.MaxValue - 1, [1, 2, 3], 0));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("overflows", e.Message);
    }

    [Fact]
    public void Older_layout_generation_is_refused_with_estale()
    {
        store.Write(Key(FileA), 0, [1], 5);

        var write = Assert.Throws<MirrorException>(() => store.Write(Key(FileA), 0, [2], 4));
        var read = Assert.Throws<MirrorException>(() => store.Read(Key(FileA), 0, 1, 4));

        Assert.Equal(Errno.ESTALE, write.Errno);
        Assert.Contains("generation 4 < 5", write.Message);
        Assert.Equal(Errno.ESTALE, read.Errno);
        Assert.Equal([1], store.Read(Key(FileA), 0, 1, 5).Data);
    }

    [Fact]
    public void Fence_raises_the_generation_of_existing_and_missing_objects_so_older_writes_get_estale()
    {
        store.Write(Key(FileA), 0, [1, 2, 3], 5);

        store.Fence([Key(FileA), Key(FileA, stripe: 1)], 7, TimeSpan.FromSeconds(1));

        Assert.Equal(Errno.ESTALE, Assert.Throws<MirrorException>(() => store.Write(Key(FileA), 0, [9], 5)).Errno);
        Assert.Equal(Errno.ESTALE, Assert.Throws<MirrorException>(() => store.Write(Key(FileA, stripe: 1), 0, [9], 6)).Errno); // created by the fence
        Assert.Equal(Errno.ESTALE, Assert.Throws<MirrorException>(() => store.SetAttr(Key(FileA), 0, null, 6)).Errno);
        Assert.Equal([1, 2, 3], store.Read(Key(FileA), 0, 3, 7).Data);
        Assert.Equal(7u, store.GetAttr(Key(FileA, stripe: 1)).LayoutGeneration);
        store.Write(Key(FileA), 0, [4], 7); // the close generation itself is accepted
        store.Fence([Key(FileA)], 6, TimeSpan.FromSeconds(1)); // never lowers
        Assert.Equal(7u, store.GetAttr(Key(FileA)).LayoutGeneration);
    }

    [Fact]
    public void Generation_zero_is_not_checked_and_newer_ones_are_recorded()
    {
        store.Write(Key(FileA), 0, [1], 5);

        store.Write(Key(FileA), 0, [2], 0);
        store.SetAttr(Key(FileA), 10, null, 7);

        Assert.Equal(7u, store.GetAttr(Key(FileA)).LayoutGeneration);
        Assert.Equal(Errno.ESTALE, Assert.Throws<MirrorException>(() => store.Punch(Key(FileA), 0, 1, 6)).Errno);
    }

    [Fact]
    public void Every_modification_gets_a_strictly_greater_transno()
    {
        var transnos = new[]
        {
            store.Write(Key(FileA), 0, [1], 0),
            store.Punch(Key(FileA), 0, 1, 0),
            store.Fallocate(Key(FileA), 0, 10, 0, 0),
            store.SetAttr(Key(FileA), 5, null, 0),
            store.Destroy(Key(FileA)),
            store.DestroyFile(FileB),
        };

        for (var i = 1; i < transnos.Length; i++)
        {
            Assert.True(transnos[i] > transnos[i - 1], $"transno {transnos[i]} after {transnos[i - 1]}");
        }
    }
}
