using Mirror.Posix.Tests.Harness;

namespace Mirror.Posix.Tests;

/// <summary>File data through a real mount: write/read, append, truncate, sparse files, fallocate, fsync, cp and tar.</summary>
public sealed class FileDataTests(MountedCluster fixture) : IClassFixture<MountedCluster>
{
    private const int M = 1024 * 1024;

    private static byte[] Data(int n, int seed)
    {
        var d = new byte[n];
        new Random(seed).NextBytes(d);
        return d;
    }

    [Fact]
    public void A_file_written_through_the_mount_reads_back_byte_for_byte()
    {
        var dir = fixture.NewDir("rw");
        var data = Data((3 * M) + 12345, 1);
        var path = Path.Combine(dir, "f");

        File.WriteAllBytes(path, data);

        Assert.Equal(data.Length, new FileInfo(path).Length);
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public void Reads_and_writes_at_offsets_inside_an_open_file_see_each_other()
    {
        var path = Path.Combine(fixture.NewDir("offsets"), "f");
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite);
        stream.Write(Data(2 * M, 2));
        stream.Position = M - 10;
        stream.Write("hello"u8);
        stream.Position = M - 12;
        var back = new byte[9];
        stream.ReadExactly(back);

        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(back, 2, 5));
        Assert.Equal(2 * M, stream.Length);
    }

    [Fact]
    public void O_APPEND_writes_go_to_the_end()
    {
        var path = Path.Combine(fixture.NewDir("append"), "log");
        File.WriteAllText(path, "one\n");
        File.AppendAllText(path, "two\n");
        var fd = Libc.Open(path, Libc.OWronly | Libc.OAppend, 0);
        Assert.True(fd >= 0, $"open O_APPEND: errno {Libc.Errno(fd)}");
        var three = "three\n"u8.ToArray();
        Assert.Equal(three.Length, (int)Libc.Write(fd, three, three.Length));
        Assert.Equal(0, Libc.Close(fd));

        Assert.Equal("one\ntwo\nthree\n", File.ReadAllText(path));
    }

    [Fact]
    public void O_TRUNC_empties_the_file_and_truncate_moves_the_size_both_ways()
    {
        var path = Path.Combine(fixture.NewDir("trunc"), "f");
        File.WriteAllBytes(path, Data(M, 3));

        var fd = Libc.Open(path, Libc.OWronly | Libc.OTrunc, 0);
        Assert.True(fd >= 0, $"open O_TRUNC: errno {Libc.Errno(fd)}");
        Assert.Equal(0, Libc.Close(fd));
        Assert.Equal(0, new FileInfo(path).Length);

        File.WriteAllBytes(path, Data(1000, 4));
        Assert.Equal(0, Libc.Errno(Libc.Truncate(path, 100)));
        Assert.Equal(Data(1000, 4)[..100], File.ReadAllBytes(path));

        Assert.Equal(0, Libc.Errno(Libc.Truncate(path, 5000)));
        var grown = File.ReadAllBytes(path);
        Assert.Equal(5000, grown.Length);
        Assert.Equal(Data(1000, 4)[..100], grown[..100]);
        Assert.All(grown[100..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void A_sparse_file_reads_zeros_in_its_hole()
    {
        var path = Path.Combine(fixture.NewDir("sparse"), "f");
        var tail = Data(4096, 5);
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Position = 10L * M;
            stream.Write(tail);
        }

        Assert.Equal((10L * M) + 4096, new FileInfo(path).Length);
        using var read = new FileStream(path, FileMode.Open, FileAccess.Read);
        var hole = new byte[M];
        read.Position = 3L * M;
        read.ReadExactly(hole);
        Assert.All(hole, b => Assert.Equal(0, b));
        var back = new byte[4096];
        read.Position = 10L * M;
        read.ReadExactly(back);
        Assert.Equal(tail, back);
    }

    [Fact]
    public void Fallocate_extends_the_size_and_punch_hole_zeroes_a_range()
    {
        var path = Path.Combine(fixture.NewDir("falloc"), "f");
        File.WriteAllBytes(path, Data(2 * M, 6));
        var fd = Libc.Open(path, Libc.ORdwr, 0);
        Assert.True(fd >= 0);
        try
        {
            Assert.Equal(0, Libc.Errno(Libc.Fallocate(fd, 0, 0, 4L * M)));
            Assert.Equal(0, Libc.Errno(Libc.Fallocate(fd, Libc.FallocPunchHole | Libc.FallocKeepSize, M / 2, M)));
        }
        finally
        {
            _ = Libc.Close(fd);
        }

        var back = File.ReadAllBytes(path);
        var expected = new byte[4 * M];
        Data(2 * M, 6).CopyTo(expected, 0);
        Array.Clear(expected, M / 2, M);
        Assert.Equal(4 * M, back.Length);
        Assert.Equal(expected, back);
    }

    [Fact]
    public void Fsync_succeeds_and_the_data_is_there_for_a_new_open()
    {
        var path = Path.Combine(fixture.NewDir("fsync"), "f");
        var data = Data(M + 7, 7);
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(data);
            stream.Flush(flushToDisk: true);
        }

        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task Many_threads_writing_and_reading_their_own_files_at_once_each_get_their_own_bytes()
    {
        var dir = fixture.NewDir("parallel");

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
        {
            var data = Data((2 * M) + i, 100 + i);
            var path = Path.Combine(dir, $"f{i}");
            File.WriteAllBytes(path, data);
            Assert.Equal(data, File.ReadAllBytes(path));
        })));

        Assert.Equal(8, Directory.GetFiles(dir).Length);
    }

    [Fact]
    public async Task Cp_and_tar_copy_a_tree_in_and_out_unchanged()
    {
        var work = Path.Combine(Path.GetTempPath(), "mirror-posix-tree-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var source = Path.Combine(work, "src");
            Directory.CreateDirectory(Path.Combine(source, "a", "b"));
            File.WriteAllBytes(Path.Combine(source, "big"), Data((5 * M) + 3, 8));
            File.WriteAllText(Path.Combine(source, "a", "small"), "small\n");
            File.WriteAllBytes(Path.Combine(source, "a", "b", "empty"), []);
            File.CreateSymbolicLink(Path.Combine(source, "a", "link"), "small");
            var dir = fixture.NewDir("tree");

            await Programs.OkAsync(Programs.RunAsync("cp", "-a", source, Path.Combine(dir, "cp")), "cp -a into the mount");
            await Programs.OkAsync(Programs.RunAsync("diff", "-r", "--no-dereference", source, Path.Combine(dir, "cp")), "diff -r after cp");

            await Programs.OkAsync(Programs.RunAsync("tar", "-C", work, "-cf", Path.Combine(dir, "t.tar"), "src"), "tar -c into the mount");
            Directory.CreateDirectory(Path.Combine(dir, "x"));
            await Programs.OkAsync(Programs.RunAsync("tar", "-C", Path.Combine(dir, "x"), "-xf", Path.Combine(dir, "t.tar")), "tar -x inside the mount");
            await Programs.OkAsync(Programs.RunAsync("diff", "-r", "--no-dereference", source, Path.Combine(dir, "x", "src")), "diff -r after tar");
            Assert.Equal("small", new FileInfo(Path.Combine(dir, "x", "src", "a", "link")).LinkTarget);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
