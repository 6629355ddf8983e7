using Mirror.Fuse.Kernel;
using Mirror.Posix.Tests.Harness;

namespace Mirror.Posix.Tests;

/// <summary>The kernel side of the data path: readahead window of the mount, per-opcode request stats.</summary>
public sealed class DataPathTests(MountedCluster fixture) : IClassFixture<MountedCluster>
{
    [Fact]
    public void The_mount_reads_ahead_four_MiB_not_the_kernel_default_of_128_KiB()
    {
        var device = KernelMount.DeviceOf(fixture.Mount.Mountpoint);

        Assert.NotNull(device);
        var kib = File.ReadAllText($"/sys/class/bdi/{device}/read_ahead_kb").Trim();
        Assert.Equal((FuseSessionOptions.DefaultMaxReadahead / 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), kib);
    }

    [Fact]
    public void A_file_read_sequentially_and_at_random_offsets_reads_back_what_was_written()
    {
        var path = Path.Combine(fixture.NewDir("ra"), "f");
        var data = new byte[(9 << 20) + 4321];
        new Random(7).NextBytes(data);
        File.WriteAllBytes(path, data);

        Assert.Equal(data, File.ReadAllBytes(path));
        using var handle = File.OpenHandle(path);
        var random = new Random(8);
        var buffer = new byte[4096];
        for (var i = 0; i < 64; i++)
        {
            var offset = random.NextInt64(0, data.Length - buffer.Length);
            Assert.Equal(buffer.Length, RandomAccess.Read(handle, buffer, offset));
            Assert.True(data.AsSpan((int)offset, buffer.Length).SequenceEqual(buffer), $"4 KiB at {offset}");
        }
    }

    [Fact]
    public void Stats_count_requests_and_bytes_per_opcode_and_the_most_in_flight()
    {
        var stats = new FuseStats();
        var a = stats.Begin();
        var b = stats.Begin();
        stats.End(FuseOpcode.Read, 1 << 20, a);
        stats.End(FuseOpcode.Write, 4096, b);
        stats.End(FuseOpcode.Getattr, 0, stats.Begin());

        Assert.Equal(1, stats.Count(FuseOpcode.Read));
        Assert.Equal(1 << 20, stats.BytesOf(FuseOpcode.Read));
        Assert.Equal(4096, stats.BytesOf(FuseOpcode.Write));
        Assert.Equal(1, stats.Count(FuseOpcode.Getattr));
        Assert.Equal(2, stats.MaxInflight);
        Assert.Contains("Read: 1, mean 1048576 B", stats.Summary(), StringComparison.Ordinal);
    }
}
