using Mirror.Client.Mirrors;
using Mirror.Client.Tests.Fakes;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using static Mirror.Client.Tests.Fakes.Layouts;

namespace Mirror.Client.Tests.Mirrors;

public class MirrorReaderWriterTests
{
    private static readonly Fid File = new(0x200000401, 7, 0);
    private readonly FakeOstSet osts = new();

    private MirrorReader Reader(ReadMirrorSelector? selector = null) => new(osts, selector ?? new ReadMirrorSelector());

    private static byte[] RandomBytes(int n, int seed)
    {
        var data = new byte[n];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task Written_data_reads_back_through_every_geometry()
    {
        var mirrors = new[] { Plain(1, M1, 0), Plain(2, K64, 1, 2, 3), Pfl(3, 4) };
        var data = RandomBytes((int)(19 * M1 + 333), 1);
        var writer = new MirrorWriter(osts);

        var result = await writer.WriteAsync(File, 1, mirrors, 5, data);

        Assert.True(result.Errors.IsEmpty);
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5, 6 }, result.OstsTouched.Order());
        foreach (var mirror in mirrors)
        {
            var back = new byte[data.Length];
            await Reader().ReadMirrorAsync(File, 1, mirror, 5, back);
            Assert.Equal(data, back);
        }
    }

    [Fact]
    public async Task Holes_and_missing_objects_read_as_zeros()
    {
        var mirror = Plain(1, K64, 0, 1);
        await new MirrorWriter(osts).WriteAsync(File, 1, [mirror], 3 * K64, new byte[] { 9, 9, 9 });
        var back = Enumerable.Repeat((byte)0xEE, (int)(4 * K64)).ToArray();

        await Reader().ReadMirrorAsync(File, 1, mirror, 0, back);

        Assert.Equal(3, back.Count(b => b == 9));
        Assert.Equal(back.Length - 3, back.Count(b => b == 0));
        Assert.Equal(9, back[3 * K64]);
    }

    [Fact]
    public async Task A_component_with_foreign_objects_reads_and_writes_the_objects_it_names()
    {
        var victim = new Fid(0x200000401, 8, 0);
        var own = Plain(1, M1, 0);
        var taken = Plain(2, M1, 0);
        taken = taken with { Components = [taken.Components[0] with { ObjectFid = victim, ObjectComponentId = 77 }] };

        await new MirrorWriter(osts).WriteAsync(File, 1, [own, taken], 0, new byte[] { 1, 2 });

        Assert.NotNull(osts[0].Object(File, own.Components[0].Id, 0));
        Assert.NotNull(osts[0].Object(victim, 77, 0));
        Assert.Null(osts[0].Object(File, taken.Components[0].Id, 0));
        var back = new byte[2];
        await Reader().ReadMirrorAsync(File, 1, taken, 0, back);
        Assert.Equal(new byte[] { 1, 2 }, back);
    }

    [Fact]
    public async Task Truncate_sets_object_sizes_so_mirrors_read_identically()
    {
        var mirrors = new[] { Plain(1, K64, 0, 1, 2), Pfl(2, 3) };
        var data = RandomBytes((int)(18 * M1), 2);
        var writer = new MirrorWriter(osts);
        await writer.WriteAsync(File, 1, mirrors, 0, data);

        const ulong newSize = 4 * M1 + 100;
        var truncated = await writer.TruncateAsync(File, 1, mirrors, newSize);
        Assert.True(truncated.Errors.IsEmpty);

        foreach (var mirror in mirrors)
        {
            foreach (var (component, stripe, size) in MirrorMapping.ObjectSizes(mirror, newSize))
            {
                Assert.Equal((int)size, osts[component.Osts[stripe]].Object(File, component.Id, stripe)!.Length);
            }

            var back = new byte[data.Length];
            await Reader().ReadMirrorAsync(File, 1, mirror, 0, back);
            Assert.Equal(data.AsSpan(0, (int)newSize).ToArray(), back.AsSpan(0, (int)newSize).ToArray());
            Assert.All(back.AsSpan((int)newSize).ToArray(), b => Assert.Equal(0, b));
        }
    }

    [Fact]
    public async Task Read_fails_over_to_the_next_readable_mirror_and_remembers_the_bad_one()
    {
        var layout = Of(Plain(1, M1, 0) with { Flags = MirrorFlags.Prefer }, Plain(2, M1, 1), Plain(3, M1, 2) with { Flags = MirrorFlags.Stale });
        var data = RandomBytes((int)M1, 3);
        await new MirrorWriter(osts).WriteAsync(File, 1, layout.Mirrors, 0, data);
        osts[0].Fault = FakeOst.Unavailable(0);
        var selector = new ReadMirrorSelector();
        var reader = Reader(selector);

        var back = new byte[data.Length];
        var servedBy = await reader.ReadAsync(File, layout, 0, back);

        Assert.Equal(2, servedBy);
        Assert.Equal(data, back);
        Assert.Equal(0, osts[2].Reads); // STALE is never read, even as a last resort
        var readsOnBad = osts[0].Reads;
        await reader.ReadAsync(File, layout, 0, back);
        Assert.Equal(readsOnBad, osts[0].Reads); // the failed mirror went to the back of the line
        Assert.Equal(new ushort[] { 2, 1 }, selector.Candidates(File, layout).Select(m => m.Id));
    }

    [Fact]
    public async Task Read_fails_with_EIO_only_when_every_readable_mirror_failed()
    {
        var layout = Of(Plain(1, M1, 0), Plain(2, M1, 1));
        osts[0].Fault = FakeOst.Unavailable(0);
        osts[1].Fault = new MirrorException(Errno.EIO, "disk error");

        var e = await Assert.ThrowsAsync<MirrorException>(() => Reader().ReadAsync(File, layout, 0, new byte[10]));

        Assert.Equal(Errno.EIO, e.Errno);
        Assert.Contains("mirror 1", e.Message);
        Assert.Contains("mirror 2", e.Message);
    }

    [Fact]
    public async Task Estale_is_not_a_mirror_failure_and_reaches_the_caller()
    {
        var layout = Of(Plain(1, M1, 0), Plain(2, M1, 1));
        osts[0].MinGeneration = 5;

        var e = await Assert.ThrowsAsync<MirrorException>(() => Reader().ReadAsync(File, layout, 0, new byte[10]));

        Assert.Equal(Errno.ESTALE, e.Errno);
        Assert.Equal(0, osts[1].Reads);
    }

    [Fact]
    public async Task Writer_collects_errors_per_mirror_and_still_writes_the_others()
    {
        var mirrors = new[] { Plain(1, M1, 0), Plain(2, M1, 1), Plain(3, M1, 2) };
        osts[1].Fault = FakeOst.Unavailable(1);

        var result = await new MirrorWriter(osts).WriteAsync(File, 1, mirrors, 0, new byte[100]);

        Assert.Equal(new ushort[] { 2 }, result.Errors.Errors.Select(e => e.MirrorId));
        Assert.Equal(Errno.EHOSTUNREACH, result.Errors.For(2)!.Errno);
        Assert.NotNull(osts[0].Object(File, mirrors[0].Components[0].Id, 0));
        Assert.NotNull(osts[2].Object(File, mirrors[2].Components[0].Id, 0));
    }

    [Fact]
    public async Task Copier_makes_targets_identical_to_the_source_and_verifier_agrees()
    {
        var source = Pfl(1, 0);
        var target = Plain(2, K64, 3, 4);
        var data = RandomBytes((int)(9 * M1 + 17), 4);
        var writer = new MirrorWriter(osts);
        await writer.WriteAsync(File, 1, [source], 0, data);
        await writer.WriteAsync(File, 1, [target], 0, RandomBytes((int)(12 * M1), 5)); // stale garbage, longer than the file
        var reader = Reader();
        var progress = new List<CopyProgress>();

        var copy = await new MirrorCopier(reader, writer) { ChunkBytes = (int)M1 }.CopyAsync(
            File, 1, source, File, 1, [target], (ulong)data.Length, new SyncProgress(progress));
        var verify = await new MirrorVerifier(reader) { ChunkBytes = (int)M1 }.VerifyAsync(File, 1, [source, target], (ulong)data.Length);

        Assert.True(copy.Errors.IsEmpty);
        Assert.Equal(new CopyProgress((ulong)data.Length, (ulong)data.Length), progress[^1]);
        Assert.True(verify.Identical);
        Assert.Equal(verify.Checksums[1], verify.Checksums[2]);
        foreach (var (component, stripe, size) in MirrorMapping.ObjectSizes(target, (ulong)data.Length))
        {
            Assert.Equal((int)size, osts[component.Osts[stripe]].Object(File, component.Id, stripe)!.Length);
        }
    }

    [Fact]
    public async Task Verifier_reports_the_first_differing_offset_of_each_pair()
    {
        var mirrors = new[] { Plain(1, M1, 0), Plain(2, K64, 1, 2), Plain(3, M1, 3) };
        var data = RandomBytes((int)(3 * M1), 6);
        var writer = new MirrorWriter(osts);
        await writer.WriteAsync(File, 1, mirrors, 0, data);
        await writer.WriteAsync(File, 1, [mirrors[1]], 2 * M1 + 5, new byte[] { (byte)(data[2 * M1 + 5] ^ 0xFF) });

        var result = await new MirrorVerifier(Reader()) { ChunkBytes = (int)M1 }.VerifyAsync(File, 1, mirrors, (ulong)data.Length);

        Assert.False(result.Identical);
        Assert.Equal(
            new[] { new MirrorDifference(1, 2, 2 * M1 + 5), new MirrorDifference(2, 3, 2 * M1 + 5) },
            result.Differences);
        Assert.Equal(result.Checksums[1], result.Checksums[3]);
        Assert.NotEqual(result.Checksums[1], result.Checksums[2]);
    }

    private sealed class SyncProgress(List<CopyProgress> into) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value)
        {
            lock (into)
            {
                into.Add(value);
            }
        }
    }
}
