using System.Collections.Concurrent;
using Mirror.Core.Errors;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

public sealed class VolumeTests
{
    private const ulong MiB = 1024 * 1024;

    private static CreateVolumeRequest Volume(string name, ulong capacity, string owner = "") =>
        new() { Name = name, CapacityBytes = capacity, Owner = owner };

    [Fact]
    public async Task Create_makes_volumes_NAME_and_is_idempotent_for_the_same_capacity()
    {
        await using var mds = await StartAsync();
        var v = await mds.Service.CreateVolume(Volume("pvc-1", 10 * MiB, "ns/claim"));
        Assert.Equal(("pvc-1", "/volumes/pvc-1", 10 * MiB, 0ul, "ns/claim", 1ul), (v.Name, v.Path, v.CapacityBytes, v.UsedBytes, v.Owner, v.Files));
        var dir = await mds.Service.ResolvePath(new PathRequest { Path = "/volumes/pvc-1" });
        Assert.Equal(v.Root, dir.Fid);
        Assert.Equal(FileType.Directory, dir.Type);

        var again = await mds.Service.CreateVolume(Volume("pvc-1", 10 * MiB, "ns/claim"));
        Assert.Equal(v, again);
        await Fails(Errno.EEXIST, () => mds.Service.CreateVolume(Volume("pvc-1", 20 * MiB)));

        await mds.ReopenAsync();
        Assert.Equal(v, await mds.Service.GetVolume(new VolumeRequest { Name = "pvc-1" }));
        Assert.Equal(["pvc-1"], (await mds.Service.ListVolumes(new Empty())).Volumes.Select(x => x.Name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Upper")]
    [InlineData("-dash")]
    [InlineData("a/b")]
    [InlineData("under_score")]
    public async Task Bad_names_and_zero_capacity_are_EINVAL_and_create_nothing(string name)
    {
        await using var mds = await StartAsync();
        var e = await Fails(Errno.EINVAL, () => mds.Service.CreateVolume(Volume(name, MiB)));
        Assert.Contains($"'{name}'", e.Message);
        await Fails(Errno.EINVAL, () => mds.Service.CreateVolume(Volume("ok", 0)));
        await Fails(Errno.EINVAL, () => mds.Service.CreateVolume(Volume(new string('a', 64), MiB)));
        Assert.Empty((await mds.Service.ListVolumes(new Empty())).Volumes);
        await Fails(Errno.ENOENT, () => mds.Service.ResolvePath(new PathRequest { Path = "/volumes" }));
    }

    [Fact]
    public async Task Get_resize_and_delete_errno_cases()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        await Fails(Errno.ENOENT, () => mds.Service.GetVolume(new VolumeRequest { Name = "nope" }));
        await Fails(Errno.ENOENT, () => mds.Service.DeleteVolume(new VolumeRequest { Name = "nope" }));
        var v = await mds.Service.CreateVolume(Volume("v", 10 * MiB));
        var f = await mds.CreateAsync("f", parent: v.Root);
        await mds.Service.ReserveSpace(new ReserveSpaceRequest { Fid = f.Attr.Fid, NewEnd = 4 * MiB });

        Assert.Equal(20 * MiB, (await mds.Service.ResizeVolume(new ResizeVolumeRequest { Name = "v", CapacityBytes = 20 * MiB })).CapacityBytes);
        await Fails(Errno.ENOSPC, () => mds.Service.ResizeVolume(new ResizeVolumeRequest { Name = "v", CapacityBytes = 3 * MiB }));
        await Fails(Errno.EINVAL, () => mds.Service.ResizeVolume(new ResizeVolumeRequest { Name = "v", CapacityBytes = 0 }));
        await Fails(Errno.ENOTEMPTY, () => mds.Service.DeleteVolume(new VolumeRequest { Name = "v" }));
        await mds.ReopenAsync();
        Assert.Equal(20 * MiB, (await mds.Service.GetVolume(new VolumeRequest { Name = "v" })).CapacityBytes);
    }

    [Fact]
    public async Task Delete_of_an_empty_volume_removes_its_root_and_force_destroys_the_contents()
    {
        var destroyed = new ConcurrentBag<Core.Fid>();
        await using var mds = await StartAsync((_, orphan, _) =>
        {
            destroyed.Add(orphan.Object.Fid);
            return Task.CompletedTask;
        });
        await mds.RegisterFourOstsAsync();
        await mds.Service.CreateVolume(Volume("empty", MiB));
        await mds.Service.DeleteVolume(new VolumeRequest { Name = "empty" });
        await Fails(Errno.ENOENT, () => mds.Service.ResolvePath(new PathRequest { Path = "/volumes/empty" }));

        var v = await mds.Service.CreateVolume(Volume("full", 10 * MiB));
        var d = await mds.MkdirAsync("d", v.Root);
        var f = await mds.CreateAsync("f", parent: d.Attr.Fid);
        await mds.Service.DeleteVolume(new VolumeRequest { Name = "full", Force = true });
        await Fails(Errno.ENOENT, () => mds.Service.GetVolume(new VolumeRequest { Name = "full" }));
        await Fails(Errno.ENOENT, () => mds.Service.GetAttr(new FidRequest { Fid = f.Attr.Fid }));
        await WaitForAsync(() => destroyed.Contains(Service.ProtoConvert.Fid(f.Attr.Fid)), "the volume's file objects destroyed");

        await mds.ReopenAsync();
        Assert.Empty((await mds.Service.ListVolumes(new Empty())).Volumes);
        Assert.Empty((await mds.Service.Readdir(new ReaddirRequest { Fid = (await mds.Service.ResolvePath(new PathRequest { Path = "/volumes" })).Fid })).Entries);
        Assert.Equal(2ul, (await mds.Service.Statfs(new StatfsRequest())).Files); // the root and /volumes
    }

    [Fact]
    public async Task Reserve_charges_the_volume_and_ENOSPC_beyond_capacity_changes_nothing()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var v = await mds.Service.CreateVolume(Volume("v", 10 * MiB));
        var a = await mds.CreateAsync("a", parent: v.Root);
        var b = await mds.CreateAsync("b", parent: v.Root);
        async Task<ulong> Used() => (await mds.Service.GetVolume(new VolumeRequest { Name = "v" })).UsedBytes;

        Assert.Equal(6 * MiB, (await mds.Service.ReserveSpace(new ReserveSpaceRequest { Fid = a.Attr.Fid, NewEnd = 6 * MiB })).GrantedEnd);
        Assert.Equal(6 * MiB, (await mds.Service.ReserveSpace(new ReserveSpaceRequest { Fid = a.Attr.Fid, NewEnd = MiB })).GrantedEnd);
        var full = await Fails(Errno.ENOSPC, () => mds.Service.ReserveSpace(new ReserveSpaceRequest { Fid = b.Attr.Fid, NewEnd = 5 * MiB }));
        Assert.Contains("'v'", full.Message);
        Assert.Equal(6 * MiB, await Used());
        Assert.Equal(4 * MiB, (await mds.Service.ReserveSpace(new ReserveSpaceRequest { Fid = b.Attr.Fid, NewEnd = 4 * MiB })).GrantedEnd);
        Assert.Equal(10 * MiB, await Used());

        // The size a write reports stays within what was reserved; a truncate down releases the rest.
        await mds.Service.UpdateSize(new UpdateSizeRequest { Fid = a.Attr.Fid, Size = 2 * MiB });
        Assert.Equal(10 * MiB, await Used());
        await mds.Service.SetAttr(new SetAttrRequest { Fid = a.Attr.Fid, Valid = 8, Size = MiB });
        Assert.Equal(5 * MiB, await Used());
        await Fails(Errno.ENOSPC, () => mds.Service.SetAttr(new SetAttrRequest { Fid = a.Attr.Fid, Valid = 8, Size = 7 * MiB }));
        Assert.Equal(MiB, (await mds.Service.GetAttr(new FidRequest { Fid = a.Attr.Fid })).Size);
        await mds.Service.SetAttr(new SetAttrRequest { Fid = a.Attr.Fid, Valid = 8, Size = 6 * MiB });
        Assert.Equal(10 * MiB, await Used());

        await mds.Service.Unlink(new NameRequest { Parent = v.Root, Name = "b" });
        Assert.Equal(6 * MiB, await Used());
        await mds.ReopenAsync();
        Assert.Equal(6 * MiB, await Used());
        await Fails(Errno.ENOSPC, () => mds.Service.ReserveSpace(new ReserveSpaceRequest { Fid = a.Attr.Fid, NewEnd = (10 * MiB) + 1 }));
    }

    [Fact]
    public async Task Usage_after_restart_equals_the_sum_of_the_files_charges()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var v = await mds.Service.CreateVolume(Volume("v", 100 * MiB));
        var d = await mds.MkdirAsync("d", v.Root);
        ulong expected = 0;
        for (var i = 0; i < 10; i++)
        {
            var f = await mds.CreateAsync($"f{i}", parent: i % 2 == 0 ? v.Root : d.Attr.Fid);
            await mds.Service.UpdateSize(new UpdateSizeRequest { Fid = f.Attr.Fid, Size = (ulong)(i * 1000) });
            expected += (ulong)(i * 1000);
        }

        await mds.ReopenAsync();
        using var connection = mds.Core.Model.Database.Open();
        using var stored = connection.CreateCommand();
        stored.CommandText = "SELECT used FROM volumes WHERE name = 'v'";
        Assert.Equal((long)expected, (long)stored.ExecuteScalar()!);
        var info = await mds.Service.GetVolume(new VolumeRequest { Name = "v" });
        Assert.Equal(expected, info.UsedBytes);
        Assert.Equal(12ul, info.Files);
    }

    [Fact]
    public async Task Files_outside_volumes_are_unlimited_and_directories_cannot_reserve()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f");
        var reply = await mds.Service.ReserveSpace(new ReserveSpaceRequest { Fid = f.Attr.Fid, NewEnd = ulong.MaxValue / 2 });
        Assert.True(reply.Unlimited);
        var d = await mds.MkdirAsync("d");
        await Fails(Errno.EISDIR, () => mds.Service.ReserveSpace(new ReserveSpaceRequest { Fid = d.Attr.Fid, NewEnd = 1 }));
    }

    [Fact]
    public async Task Statfs_of_a_volume_reports_its_capacity_and_usage()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var v = await mds.Service.CreateVolume(Volume("v", 10 * MiB));
        var d = await mds.MkdirAsync("d", v.Root);
        var f = await mds.CreateAsync("f", parent: d.Attr.Fid);
        await mds.Service.ReserveSpace(new ReserveSpaceRequest { Fid = f.Attr.Fid, NewEnd = 3 * MiB });

        foreach (var request in new[] { new StatfsRequest { Fid = f.Attr.Fid }, new StatfsRequest { Volume = "v" }, new StatfsRequest { Fid = v.Root } })
        {
            var s = await mds.Service.Statfs(request);
            Assert.Equal(("v", 10 * MiB, 7 * MiB, 3 * MiB, 3ul), (s.Volume, s.TotalBytes, s.FreeBytes, s.UsedBytes, s.Files));
            Assert.Equal(4096u, s.BlockSize);
            Assert.Equal(255u, s.NameMax);
        }

        var whole = await mds.Service.Statfs(new StatfsRequest { Fid = Root });
        Assert.Equal(("", 4ul << 40), (whole.Volume, whole.TotalBytes));
        await Fails(Errno.ENOENT, () => mds.Service.Statfs(new StatfsRequest { Volume = "nope" }));
    }

    [Fact]
    public async Task Renames_and_links_across_volumes_are_EXDEV_and_volume_roots_are_EBUSY()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var a = await mds.Service.CreateVolume(Volume("a", MiB));
        var b = await mds.Service.CreateVolume(Volume("b", MiB));
        var holder = (await mds.Service.ResolvePath(new PathRequest { Path = "/volumes" })).Fid;
        var f = await mds.CreateAsync("f", parent: a.Root);
        await mds.CreateAsync("outside");
        await mds.MkdirAsync("dir", a.Root);

        await Fails(Errno.EXDEV, () => mds.Service.Rename(new RenameRequest { SrcParent = a.Root, SrcName = "f", DstParent = b.Root, DstName = "f" }));
        await Fails(Errno.EXDEV, () => mds.Service.Rename(new RenameRequest { SrcParent = Root, SrcName = "outside", DstParent = a.Root, DstName = "x" }));
        await Fails(Errno.EXDEV, () => mds.Service.Rename(new RenameRequest { SrcParent = a.Root, SrcName = "f", DstParent = Root, DstName = "outside", Flags = 2 }));
        await Fails(Errno.EXDEV, () => mds.Service.Link(new LinkRequest { Fid = f.Attr.Fid, NewParent = b.Root, NewName = "f" }));
        await Fails(Errno.EBUSY, () => mds.Service.Rmdir(new NameRequest { Parent = holder, Name = "b" }));
        await Fails(Errno.EBUSY, () => mds.Service.Rename(new RenameRequest { SrcParent = holder, SrcName = "b", DstParent = holder, DstName = "c" }));
        await Fails(Errno.EBUSY, () => mds.Service.Rename(new RenameRequest { SrcParent = a.Root, SrcName = "dir", DstParent = holder, DstName = "b" }));

        // Inside one volume everything works as anywhere else.
        await mds.Service.Rename(new RenameRequest { SrcParent = a.Root, SrcName = "f", DstParent = (await mds.Service.ResolvePath(new PathRequest { Path = "/volumes/a/dir" })).Fid, DstName = "g" });
        await mds.Service.Link(new LinkRequest { Fid = f.Attr.Fid, NewParent = a.Root, NewName = "h" });
    }

    [Fact]
    public async Task A_volumes_default_layout_applies_to_new_files_in_it()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var request = Volume("mirrored", 100 * MiB);
        request.Layout = Mirrors(2);
        var v = await mds.Service.CreateVolume(request);
        Assert.Equal(2, v.Layout.Mirrors.Count);

        await mds.ReopenAsync();
        var d = await mds.MkdirAsync("d", v.Root);
        var inVolume = await mds.CreateAsync("f", parent: d.Attr.Fid);
        var asked = await mds.CreateAsync("g", Mirrors(1), v.Root);
        var outside = await mds.CreateAsync("h");
        Assert.Equal(2, inVolume.Layout.Mirrors.Count);
        Assert.Single(asked.Layout.Mirrors);
        Assert.Single(outside.Layout.Mirrors);
    }
}
