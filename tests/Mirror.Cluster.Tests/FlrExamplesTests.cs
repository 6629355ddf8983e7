using System.Security.Cryptography;
using System.Text.Json;
using Mirror.Cluster.Tests.Harness;

namespace Mirror.Cluster.Tests;

/// <summary>
/// Every Example of flr-overview.txt, written as in the document, run as real mirrorctl processes against
/// a `mirrorctl local up` cluster (1 MDS; ost-0/1 pool flash, ost-2/3 pool archive). Each test checks the
/// documented effect twice: in the layout (getstripe --json) and in the bytes of every mirror
/// (mirror read --mirror-id). The tests share one cluster, so each works in its own directory, which
/// stands for /mnt/lustre; the find Examples search / as written.
/// </summary>
public sealed class FlrExamplesTests(SharedCluster shared) : IClassFixture<SharedCluster>, IDisposable
{
    private const int MiB = 1 << 20;
    private readonly ClusterProbe probe = new(shared.Cluster);

    public void Dispose() => probe.Dispose();

    [Fact]
    public async Task BasicMirroredFile_CreateThenWrite_LeavesTwoStaleMirrors_ResyncMakesAllThreeEqual()
    {
        var dir = await Dir("basic");
        await Example(dir, "lfs mirror create -N 2 -S 4M -c 2 -p flash -N -c 32 -p archive /mnt/lustre/file1");
        var file1 = dir + "/file1";
        var created = await probe.Layout(file1);
        Assert.Equal(3, created.GetProperty("mirror_count").GetInt32());
        Assert.Equal("ro", created.GetProperty("flr_state").GetString());
        foreach (var id in new[] { 1, 2 })
        {
            AssertComponent(ClusterProbe.Component(created, id, 0), pool: "flash", stripeCount: 2, stripeSize: 4 * MiB, start: 0, end: null);
        }

        // -c 32 on the 2-OST archive pool: capped to the pool's size; -S is not inherited across -N.
        AssertComponent(ClusterProbe.Component(created, 3, 0), pool: "archive", stripeCount: 2, stripeSize: MiB, start: 0, end: null);
        Assert.Equal([0, 1], ClusterProbe.Osts(ClusterProbe.Mirror(created, 1)));
        Assert.Equal([2, 3], ClusterProbe.Osts(ClusterProbe.Mirror(created, 3)));

        // "cp data /mnt/lustre/file1": the write goes to the primary mirror, the others become STALE.
        var source = probe.LocalFile((5 * MiB) + 12345, seed: 1, out var data);
        await probe.Ctl("put", source, file1);
        var written = await probe.Layout(file1);
        Assert.Equal("wp", written.GetProperty("flr_state").GetString());
        Assert.False(ClusterProbe.Stale(written, 1));
        Assert.True(ClusterProbe.Stale(written, 2));
        Assert.True(ClusterProbe.Stale(written, 3));
        Assert.Equal(data, (await probe.MirrorBytes(file1, 1)).Bytes);
        foreach (var id in new[] { 2, 3 })
        {
            var (bytes, stderr) = await probe.MirrorBytes(file1, id);
            Assert.NotEqual(data, bytes);
            Assert.Contains($"mirror {id} is STALE", stderr);
        }

        var changelogBefore = await probe.Changelog();
        await Example(dir, "lfs mirror resync /mnt/lustre/file1");

        var synced = await probe.Layout(file1);
        Assert.Equal("ro", synced.GetProperty("flr_state").GetString());
        Assert.Equal([1, 2, 3], ClusterProbe.MirrorIds(synced));
        foreach (var id in new[] { 1, 2, 3 })
        {
            Assert.False(ClusterProbe.Stale(synced, id));
            var (bytes, stderr) = await probe.MirrorBytes(file1, id);
            Assert.Equal(data, bytes);
            Assert.DoesNotContain("STALE", stderr);
        }

        // flr-overview "Changelog Tracking": the resync is logged, naming the file and the resynced mirrors.
        var resync = (await probe.Changelog(changelogBefore[^1].GetProperty("index").GetUInt64()))
            .Single(r => r.GetProperty("type").GetString() == "RESYNC");
        Assert.Equal(created.GetProperty("fid").GetString(), resync.GetProperty("fid").GetString());
        Assert.Equal([2, 3], resync.GetProperty("mirror_ids").EnumerateArray().Select(i => i.GetInt32()));
    }

    [Fact]
    public async Task PflMirroredFile_HasTheDocumentedExtents_AndVerifyOnlyChecksTheNamedMirrors()
    {
        var dir = await Dir("pfl");
        await Example(dir, "lfs mirror create -N -E 4M -p flash --flags=prefer -E eof -c 2 -N -E 16M -S 8M -c 4 -p archive -E eof -c -1 /mnt/lustre/file2");
        var file2 = dir + "/file2";
        var layout = await probe.Layout(file2);
        Assert.Equal(2, layout.GetProperty("mirror_count").GetInt32());
        Assert.Equal(["prefer"], ClusterProbe.Mirror(layout, 1).GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Empty(ClusterProbe.Mirror(layout, 2).GetProperty("flags").EnumerateArray());

        // A later -E component inherits stripe size, count and pool from the one before (as lfs does).
        AssertComponent(ClusterProbe.Component(layout, 1, 0), pool: "flash", stripeCount: 1, stripeSize: MiB, start: 0, end: 4 * MiB);
        AssertComponent(ClusterProbe.Component(layout, 1, 1), pool: "flash", stripeCount: 2, stripeSize: MiB, start: 4 * MiB, end: null);
        AssertComponent(ClusterProbe.Component(layout, 2, 0), pool: "archive", stripeCount: 2, stripeSize: 8 * MiB, start: 0, end: 16 * MiB);
        AssertComponent(ClusterProbe.Component(layout, 2, 1), pool: "archive", stripeCount: 2, stripeSize: 8 * MiB, start: 16 * MiB, end: null);

        // Data across every extent: the PREFER mirror takes the write, resync fills mirror 2.
        var source = probe.LocalFile((17 * MiB) + 3, seed: 2, out var data);
        await probe.Ctl("put", source, file2);
        Assert.True(ClusterProbe.Stale(await probe.Layout(file2), 2));
        Assert.Equal(data, (await probe.MirrorBytes(file2, 1)).Bytes);
        await probe.Ctl("mirror", "resync", file2);

        // The Example names mirror 4, which file2 does not have yet: refused by name, nothing changed.
        var before = await probe.Snapshot(dir, file2);
        var refused = await probe.CtlFails(ExampleArgs(dir, "lfs mirror verify -v --only 1,4 /mnt/lustre/file2"));
        Assert.Equal(1, refused.Exit);
        Assert.Contains($"unknown mirror id 4 in {file2}", refused.Stderr);
        Assert.Equal(before, await probe.Snapshot(dir, file2));

        var twoMirrors = await probe.Ctl("mirror", "verify", "-v", "--only", "1,2", file2);
        AssertVerified(twoMirrors.Stdout, file2, data, [1, 2]);

        // With two more mirrors the Example runs as written.
        await probe.Ctl("mirror", "extend", "-N2", "-p", "flash", file2);
        var four = await probe.Layout(file2);
        Assert.Equal([1, 2, 3, 4], ClusterProbe.MirrorIds(four));
        var verified = await Example(dir, "lfs mirror verify -v --only 1,4 /mnt/lustre/file2");
        AssertVerified(verified.Stdout, file2, data, [1, 4]);
        foreach (var id in new[] { 1, 2, 3, 4 })
        {
            Assert.False(ClusterProbe.Stale(four, id));
            Assert.Equal(data, (await probe.MirrorBytes(file2, id)).Bytes);
        }
    }

    [Fact]
    public async Task Setstripe_RefusesAnExistingFile_ThenOnAFreshFileExtendAddsAnArchiveMirrorWithTheSameBytes()
    {
        var dir = await Dir("extend");
        var source = probe.LocalFile((3 * MiB) + 1, seed: 3, out var data);
        await probe.Ctl("put", source, dir + "/file1");

        // lfs setstripe on an existing file is EEXIST: exit 1, named, nothing changed.
        var before = await probe.Snapshot(dir, dir + "/file1");
        var exists = await probe.CtlFails(ExampleArgs(dir, "lfs setstripe -p flash /mnt/lustre/file1"));
        Assert.Equal(1, exists.Exit);
        Assert.Equal($"mirrorctl: {dir}/file1: File exists\n", exists.Stderr);
        Assert.Equal(before, await probe.Snapshot(dir, dir + "/file1"));

        // The Example on a fresh path.
        var fresh = dir + "/fresh";
        await Example(dir, "lfs setstripe -p flash /mnt/lustre/fresh");
        var plain = await probe.Layout(fresh);
        Assert.Equal(1, plain.GetProperty("mirror_count").GetInt32());
        Assert.Equal("flash", ClusterProbe.Component(plain, 1, 0).GetProperty("pool").GetString());
        await probe.Ctl("put", source, fresh);

        await Example(dir, "lfs mirror extend -N -S 8M -c -1 -p archive /mnt/lustre/fresh");

        var extended = await probe.Layout(fresh);
        Assert.Equal([1, 2], ClusterProbe.MirrorIds(extended));
        AssertComponent(ClusterProbe.Component(extended, 2, 0), pool: "archive", stripeCount: 2, stripeSize: 8 * MiB, start: 0, end: null);
        Assert.Equal([2, 3], ClusterProbe.Osts(ClusterProbe.Mirror(extended, 2)));
        foreach (var id in new[] { 1, 2 })
        {
            Assert.False(ClusterProbe.Stale(extended, id));
            Assert.Equal(data, (await probe.MirrorBytes(fresh, id)).Bytes);
        }
    }

    [Fact]
    public async Task ExtendWithVictim_TheVictimsObjectsBecomeTheNewMirror_AndTheVictimPathIsGone()
    {
        var dir = await Dir("victim");
        var file1 = dir + "/file1";
        var victim = dir + "/victim_file";
        var source = probe.LocalFile((2 * MiB) + 77, seed: 4, out var data);
        await probe.Ctl("setstripe", "-p", "flash", "-c", "2", file1);
        await probe.Ctl("put", source, file1);

        // The victim is a copy of the file made elsewhere: two archive mirrors, written and resynced, so its
        // objects have seen layout generations newer than file1's.
        await probe.Ctl("mirror", "create", "-N", "-p", "archive", "-c", "1", "-N", "-p", "archive", "-c", "1", victim);
        for (var i = 0; i < 3; i++)
        {
            await probe.Ctl("put", source, victim);
            await probe.Ctl("mirror", "resync", victim);
        }

        var victimLayout = await probe.Layout(victim);
        Assert.True(victimLayout.GetProperty("layout_generation").GetInt32() > (await probe.Layout(file1)).GetProperty("layout_generation").GetInt32() + 4);

        await Example(dir, "lfs mirror extend --no-verify -N -f /mnt/lustre/victim_file /mnt/lustre/file1");

        Assert.False(await probe.Exists(victim));
        Assert.DoesNotContain("victim_file", (await probe.Ctl("ls", dir)).Stdout);
        var extended = await probe.Layout(file1);
        Assert.Equal([1, 2, 3], ClusterProbe.MirrorIds(extended));
        foreach (var (victimId, id) in new[] { (1, 2), (2, 3) })
        {
            Assert.Equal(ClusterProbe.Osts(ClusterProbe.Mirror(victimLayout, victimId)), ClusterProbe.Osts(ClusterProbe.Mirror(extended, id)));
            Assert.Equal("archive", ClusterProbe.Component(extended, id, 0).GetProperty("pool").GetString());
        }

        foreach (var id in new[] { 1, 2, 3 })
        {
            Assert.False(ClusterProbe.Stale(extended, id));
            Assert.Equal(data, (await probe.MirrorBytes(file1, id)).Bytes);
        }
    }

    [Fact]
    public async Task SplitThenDestroy_Mirror1BecomesFile1Mirror1_Mirror2IsGoneFromTheLayout()
    {
        var dir = await Dir("split");
        var file1 = dir + "/file1";
        var data = await MirroredFile1(dir, seed: 5);
        var before = await probe.Layout(file1);

        await Example(dir, "lfs mirror split --mirror-id 1 /mnt/lustre/file1");

        var splitOff = file1 + ".mirror~1";
        var afterSplit = await probe.Layout(file1);
        Assert.Equal([2, 3], ClusterProbe.MirrorIds(afterSplit));
        var newFile = await probe.Layout(splitOff);
        Assert.Equal(1, newFile.GetProperty("mirror_count").GetInt32());
        Assert.NotEqual(before.GetProperty("fid").GetString(), newFile.GetProperty("fid").GetString());
        var newMirror = newFile.GetProperty("mirrors")[0];
        Assert.Equal(ClusterProbe.Osts(ClusterProbe.Mirror(before, 1)), ClusterProbe.Osts(newMirror));
        AssertComponent(newMirror.GetProperty("components")[0], pool: "flash", stripeCount: 2, stripeSize: 4 * MiB, start: 0, end: null);
        Assert.Equal(data, (await probe.MirrorBytes(splitOff, newMirror.GetProperty("mirror_id").GetInt32())).Bytes);
        foreach (var id in new[] { 2, 3 })
        {
            Assert.Equal(data, (await probe.MirrorBytes(file1, id)).Bytes);
        }

        await Example(dir, "lfs mirror split --mirror-id 2 -d /mnt/lustre/file1");

        var afterDestroy = await probe.Layout(file1);
        Assert.Equal([3], ClusterProbe.MirrorIds(afterDestroy));
        Assert.Equal(1, afterDestroy.GetProperty("mirror_count").GetInt32());
        Assert.False(await probe.Exists(file1 + ".mirror~2"));
        Assert.Equal(["file1", "file1.mirror~1"], await Names(dir));
        Assert.Equal(data, (await probe.MirrorBytes(file1, 3)).Bytes);
        var gone = await probe.CtlFails("mirror", "read", "--mirror-id", "2", "-o", "-", file1);
        Assert.Contains($"unknown mirror id 2 in {file1}", gone.Stderr);
    }

    [Fact]
    public async Task ResyncOnly2_SyncsMirror2_AndLeavesMirror3Stale()
    {
        var dir = await Dir("only");
        var file1 = dir + "/file1";
        await Example(dir, "lfs mirror create -N 2 -S 4M -c 2 -p flash -N -c 32 -p archive /mnt/lustre/file1");
        var source = probe.LocalFile(MiB + 5, seed: 6, out var data);
        await probe.Ctl("put", source, file1);

        await Example(dir, "lfs mirror resync --only 2 /mnt/lustre/file1");

        var layout = await probe.Layout(file1);
        Assert.False(ClusterProbe.Stale(layout, 2));
        Assert.True(ClusterProbe.Stale(layout, 3));
        // The file is back to RDONLY; mirror 3 stays STALE for a later resync (MDS FlrTransitions.ResyncDone, as lfs).
        Assert.Equal("ro", layout.GetProperty("flr_state").GetString());
        Assert.Equal(data, (await probe.MirrorBytes(file1, 1)).Bytes);
        Assert.Equal(data, (await probe.MirrorBytes(file1, 2)).Bytes);
        var (stale, warning) = await probe.MirrorBytes(file1, 3);
        Assert.NotEqual(data, stale);
        Assert.Contains("mirror 3 is STALE", warning);

        await probe.Ctl("mirror", "resync", "--only", "3", file1);
        Assert.Equal(data, (await probe.MirrorBytes(file1, 3)).Bytes);
        Assert.Equal("ro", (await probe.Layout(file1)).GetProperty("flr_state").GetString());
    }

    [Fact]
    public async Task FindMirrorCountPlus1_AndNotReadOnly_ListExactlyTheMatchingFilesOfTheWholeTree()
    {
        var dir = await Dir("find");
        await probe.Ctl("setstripe", "-c", "1", dir + "/one");
        await probe.Ctl("mirror", "create", "-N2", dir + "/two-ro");
        await probe.Ctl("mirror", "create", "-N2", dir + "/two-wp");
        await probe.Ctl("put", probe.LocalFile(1000, seed: 7, out _), dir + "/two-wp");
        await probe.Ctl("mkdir", dir + "/sub");

        var mirrored = Lines((await Example("/", "lfs find --mirror-count +1 --type f /mnt/lustre")).Stdout);
        var notReadOnly = Lines((await Example("/", "lfs find --mirror-state=^ro --type f /mnt/lustre")).Stdout);

        // The truth, from the layout of every regular file in the tree (other tests' files included).
        var files = Lines((await probe.Ctl("find", "/", "--type", "f")).Stdout);
        Assert.Contains(dir + "/one", files);
        Assert.DoesNotContain(dir + "/sub", files);
        var layouts = await probe.Layouts(files);
        Assert.Equal(files.Where(f => layouts[f].GetProperty("mirror_count").GetInt32() > 1).Order(), mirrored.Order());
        Assert.Equal(files.Where(f => layouts[f].GetProperty("flr_state").GetString() != "ro").Order(), notReadOnly.Order());
        Assert.Contains(dir + "/two-ro", mirrored);
        Assert.DoesNotContain(dir + "/one", mirrored);
        Assert.Contains(dir + "/two-wp", notReadOnly);
        Assert.DoesNotContain(dir + "/two-ro", notReadOnly);
    }

    [Fact]
    public async Task Migrate_RestripesToTheArchivePool_KeepingTheFidAndTheBytes()
    {
        var dir = await Dir("migrate");
        var file = dir + "/file1";
        var source = probe.LocalFile((2 * MiB) + 7, seed: 8, out var data);
        await probe.Ctl("setstripe", "-p", "flash", "-c", "1", file);
        await probe.Ctl("put", source, file);
        var before = await probe.Layout(file);

        // "lfs migrate: same arguments as setstripe"
        await Example(dir, "lfs migrate -c 2 -S 128k -p archive /mnt/lustre/file1");

        var after = await probe.Layout(file);
        Assert.Equal(before.GetProperty("fid").GetString(), after.GetProperty("fid").GetString());
        Assert.Equal(1, after.GetProperty("mirror_count").GetInt32());
        var id = ClusterProbe.MirrorIds(after).Single();
        AssertComponent(ClusterProbe.Component(after, id, 0), pool: "archive", stripeCount: 2, stripeSize: 128 * 1024, start: 0, end: null);
        Assert.Equal([2, 3], ClusterProbe.Osts(ClusterProbe.Mirror(after, id)));
        Assert.Equal(data, (await probe.MirrorBytes(file, id)).Bytes);
        Assert.Equal(["file1"], await Names(dir));
    }

    /// <summary>The document's command line, with "lfs" → mirrorctl and /mnt/lustre → <paramref name="dir"/>.</summary>
    private static string[] ExampleArgs(string dir, string line)
    {
        Assert.StartsWith("lfs ", line);
        return [.. line["lfs ".Length..].Split(' ').Select(a => a.Replace("/mnt/lustre/", dir.TrimEnd('/') + "/").Replace("/mnt/lustre", dir))];
    }

    private Task<CtlResult> Example(string dir, string line) => probe.Ctl(ExampleArgs(dir, line));

    private async Task<string> Dir(string name)
    {
        var dir = "/" + name;
        await probe.Ctl("mkdir", dir);
        return dir;
    }

    /// <summary>Example 1's file1 with data written and resynced: three equal mirrors.</summary>
    private async Task<byte[]> MirroredFile1(string dir, int seed)
    {
        await Example(dir, "lfs mirror create -N 2 -S 4M -c 2 -p flash -N -c 32 -p archive /mnt/lustre/file1");
        var source = probe.LocalFile((4 * MiB) + 100, seed, out var data);
        await probe.Ctl("put", source, dir + "/file1");
        await probe.Ctl("mirror", "resync", dir + "/file1");
        return data;
    }

    private async Task<string[]> Names(string dir) => [.. Lines((await probe.Ctl("ls", dir)).Stdout).Order(StringComparer.Ordinal)];

    private static List<string> Lines(string text) => ClusterProbe.Lines(text);

    private static void AssertComponent(JsonElement component, string pool, int stripeCount, int stripeSize, long start, long? end)
    {
        Assert.Equal(pool, component.GetProperty("pool").GetString());
        Assert.Equal(stripeCount, component.GetProperty("stripe_count").GetInt32());
        Assert.Equal(stripeSize, component.GetProperty("stripe_size").GetInt32());
        Assert.Equal(start, component.GetProperty("extent_start").GetInt64());
        var e = component.GetProperty("extent_end");
        Assert.Equal(end, e.ValueKind == JsonValueKind.Null ? null : e.GetInt64());
        Assert.Equal(stripeCount, component.GetProperty("osts").GetArrayLength());
    }

    /// <summary>verify -v output: the per-mirror SHA-256 equals the data's, and the mirrors are identical.</summary>
    private static void AssertVerified(string stdout, string path, byte[] data, int[] ids)
    {
        var sum = Convert.ToHexStringLower(SHA256.HashData(data));
        foreach (var id in ids)
        {
            Assert.Contains($"{path}: mirror {id} sha256 {sum}", stdout);
        }

        Assert.Contains($"{path}: mirrors {string.Join(',', ids)} are identical", stdout);
    }
}
