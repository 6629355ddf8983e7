using System.Text;
using Mirror.Client.Metadata;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;

namespace Mirror.Client.Tests.Cluster;

/// <summary>The POSIX metadata calls of MdsClient/MirrorClient against a real MDS and real OSTs (in-process).</summary>
public class ClusterPosixTests
{
    private const ulong M = 1024 * 1024;

    [Fact]
    public async Task Links_xattrs_and_rename_flags_through_the_client()
    {
        await using var cluster = await TestCluster.StartAsync("");
        await using var client = await cluster.ConnectAsync();
        await client.MkdirAsync("/d");
        await (await client.CreateAsync("/d/f")).CloseAsync();

        var linked = await client.LinkAsync("/d/f", "/g");
        Assert.Equal(2u, linked.Nlink);
        Assert.Equal(linked.Fid, (await client.StatAsync("/g")).Fid);
        var perm = await Assert.ThrowsAsync<MirrorException>(() => client.LinkAsync("/d", "/d2"));
        Assert.Equal(Errno.EPERM, perm.Errno);

        await client.SetXattrAsync("/g", "user.color", Encoding.UTF8.GetBytes("blue"));
        Assert.Equal("blue", Encoding.UTF8.GetString(await client.GetXattrAsync("/d/f", "user.color")));
        Assert.Equal(["user.color"], await client.ListXattrAsync("/d/f"));
        var exists = await Assert.ThrowsAsync<MirrorException>(() => client.SetXattrAsync("/g", "user.color", new byte[1], flags: 1));
        Assert.Equal(Errno.EEXIST, exists.Errno);
        var notsup = await Assert.ThrowsAsync<MirrorException>(() => client.SetXattrAsync("/g", "security.selinux", new byte[1]));
        Assert.Equal(Errno.ENOTSUP, notsup.Errno);
        var big = await Assert.ThrowsAsync<MirrorException>(() => client.SetXattrAsync("/g", "user.big", new byte[(64 * 1024) + 1]));
        Assert.Equal(Errno.E2BIG, big.Errno);
        await client.RemoveXattrAsync("/g", "user.color");
        var gone = await Assert.ThrowsAsync<MirrorException>(() => client.GetXattrAsync("/g", "user.color"));
        Assert.Equal(Errno.ENODATA, gone.Errno);

        var noreplace = await Assert.ThrowsAsync<MirrorException>(() => client.RenameAsync("/g", "/d", 1));
        Assert.Equal(Errno.EEXIST, noreplace.Errno);
        await client.RenameAsync("/g", "/d", 2);
        Assert.Equal(FileKind.Directory, (await client.StatAsync("/g")).Kind);
        Assert.Equal(linked.Fid, (await client.StatAsync("/d")).Fid);
    }

    [Fact]
    public async Task Readdir_pages_with_attributes_resume_from_a_cookie()
    {
        await using var cluster = await TestCluster.StartAsync("");
        await using var client = await cluster.ConnectAsync();
        for (var i = 0; i < 5; i++)
        {
            await client.MkdirAsync($"/d{i}");
        }

        var root = await client.StatAsync("/");
        var first = await client.Mds.ReaddirPageAsync(root.Fid, 0, 2, withAttrs: true);
        Assert.Equal(["d0", "d1"], first.Entries.Select(e => e.Name));
        Assert.All(first.Entries, e => Assert.Equal(2u, e.Attr.Nlink));
        await client.RmdirAsync("/d2");
        var rest = await client.Mds.ReaddirPageAsync(root.Fid, first.Entries[^1].Cookie, 100, withAttrs: false);
        Assert.True(rest.Eof);
        Assert.Equal(["d3", "d4"], rest.Entries.Select(e => e.Name));
    }

    [Fact]
    public async Task Volumes_create_list_resize_statfs_and_delete_through_the_client()
    {
        await using var cluster = await TestCluster.StartAsync("");
        await using var client = await cluster.ConnectAsync();
        var v = await client.Mds.CreateVolumeAsync("pvc-a", 8 * M, "default/data");
        Assert.Equal(v, await client.Mds.CreateVolumeAsync("pvc-a", 8 * M, "default/data"));
        var clash = await Assert.ThrowsAsync<MirrorException>(() => client.Mds.CreateVolumeAsync("pvc-a", 9 * M));
        Assert.Equal(Errno.EEXIST, clash.Errno);
        var bad = await Assert.ThrowsAsync<MirrorException>(() => client.Mds.CreateVolumeAsync("Bad_Name", M));
        Assert.Equal(Errno.EINVAL, bad.Errno);

        Assert.Equal(v.Root.ToFid(), (await client.StatAsync("/volumes/pvc-a")).Fid);
        Assert.Equal(["pvc-a"], (await client.Mds.ListVolumesAsync()).Select(x => x.Name));
        Assert.Equal(16 * M, (await client.Mds.ResizeVolumeAsync("pvc-a", 16 * M)).CapacityBytes);
        await (await client.CreateAsync("/volumes/pvc-a/f")).CloseAsync();
        var byPath = await client.StatfsAsync("/volumes/pvc-a/f");
        Assert.Equal(("pvc-a", 16 * M), (byPath.Volume, byPath.TotalBytes));
        Assert.Equal(16 * M, (await client.Mds.StatfsAsync("pvc-a")).TotalBytes);

        var notEmpty = await Assert.ThrowsAsync<MirrorException>(() => client.Mds.DeleteVolumeAsync("pvc-a"));
        Assert.Equal(Errno.ENOTEMPTY, notEmpty.Errno);
        await client.Mds.DeleteVolumeAsync("pvc-a", force: true);
        var missing = await Assert.ThrowsAsync<MirrorException>(() => client.Mds.GetVolumeAsync("pvc-a"));
        Assert.Equal(Errno.ENOENT, missing.Errno);
    }

    [Fact]
    public async Task A_write_past_the_volume_quota_fails_ENOSPC_and_sends_nothing()
    {
        await using var cluster = await TestCluster.StartAsync("", "");
        await using var client = await cluster.ConnectAsync();
        await client.Mds.CreateVolumeAsync("small", 3 * M);
        var data = ClusterFileTests.Data((int)M, 7);

        await using (var file = await client.CreateAsync("/volumes/small/f", ClusterFileTests.Spec((1, (uint)M, [], MirrorFlags.None))))
        {
            await file.WriteAsync(0, data);
            await file.WriteAsync(M, data);
            await file.WriteAsync(0, data); // inside the grant: no new reservation
            var full = await Assert.ThrowsAsync<MirrorException>(() => file.WriteAsync(2 * M, ClusterFileTests.Data((int)M + 1, 8)));
            Assert.Equal(Errno.ENOSPC, full.Errno);
            await file.WriteAsync(2 * M, data);
            await file.FsyncAsync();
        }

        Assert.Equal(3 * M, (await client.StatAsync("/volumes/small/f")).Size);
        var info = await client.Mds.GetVolumeAsync("small");
        Assert.Equal(3 * M, info.UsedBytes);
        var statfs = await client.StatfsAsync("/volumes/small");
        Assert.Equal(0ul, statfs.FreeBytes);

        // Another file gets nothing until space is freed; then it may write.
        await using var other = await client.CreateAsync("/volumes/small/g");
        Assert.Equal(Errno.ENOSPC, (await Assert.ThrowsAsync<MirrorException>(() => other.WriteAsync(0, new byte[1]))).Errno);
        await client.UnlinkAsync("/volumes/small/f");
        await other.WriteAsync(0, new byte[1]);
        Assert.Equal(1ul, (await client.Mds.GetVolumeAsync("small")).UsedBytes);
    }

    [Fact]
    public async Task Truncate_up_and_fallocate_past_the_volume_quota_fail_ENOSPC_and_a_truncate_down_frees_the_grant()
    {
        await using var cluster = await TestCluster.StartAsync("", "");
        await using var client = await cluster.ConnectAsync();
        await client.Mds.CreateVolumeAsync("tq", 2 * M);
        await using var file = await client.CreateAsync("/volumes/tq/f", ClusterFileTests.Spec((1, (uint)M, [], MirrorFlags.None)));
        await file.WriteAsync(0, ClusterFileTests.Data((int)M, 3));
        await file.FsyncAsync(); // reports the size to the MDS

        Assert.Equal(Errno.ENOSPC, (await Assert.ThrowsAsync<MirrorException>(() => file.TruncateAsync(3 * M))).Errno);
        Assert.Equal(Errno.ENOSPC, (await Assert.ThrowsAsync<MirrorException>(() => file.FallocateAsync(0, 3 * M))).Errno);
        Assert.Equal(M, (await client.StatAsync("/volumes/tq/f")).Size); // the refused calls changed nothing

        await file.TruncateAsync(2 * M);
        await file.TruncateAsync(M / 2); // frees the rest of the grant ...
        Assert.Equal(M / 2, (await client.Mds.GetVolumeAsync("tq")).UsedBytes);
        await file.FallocateAsync(0, M, mode: 0x01); // KEEP_SIZE is not charged
        await using var other = await client.CreateAsync("/volumes/tq/g");
        await other.WriteAsync(0, ClusterFileTests.Data((int)M, 4)); // ... so another file may use it
        await other.FsyncAsync();
        Assert.Equal(M + M / 2, (await client.Mds.GetVolumeAsync("tq")).UsedBytes);
    }
}
