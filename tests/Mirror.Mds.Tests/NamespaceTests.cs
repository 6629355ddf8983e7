using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

public sealed class NamespaceTests
{
    [Fact]
    public async Task Root_exists_on_first_start_as_a_0755_directory()
    {
        await using var mds = await StartAsync();
        var root = await mds.Service.GetAttr(new FidRequest { Fid = Root });
        Assert.Equal(FileType.Directory, root.Type);
        Assert.Equal(Convert.ToUInt32("755", 8), root.Mode);
        Assert.Equal(2u, root.Nlink);
    }

    [Fact]
    public async Task Create_mkdir_symlink_then_lookup_and_resolve_path()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var dir = await mds.MkdirAsync("a");
        var file = await mds.CreateAsync("f", parent: dir.Attr.Fid);
        var link = await mds.Service.Symlink(new CreateRequest { Parent = dir.Attr.Fid, Name = "l", SymlinkTarget = "f" });

        Assert.True(file.Created);
        Assert.Equal(FileType.Regular, file.Attr.Type);
        Assert.Equal(1u, file.Layout.Generation);
        Assert.Single(file.Layout.Mirrors);
        Assert.Equal(1024u * 1024, file.Layout.Mirrors[0].Components[0].StripeSize);
        Assert.Equal("f", link.Attr.SymlinkTarget);
        Assert.Equal(1ul, link.Attr.Size);

        Assert.Equal(Root, (await mds.Service.Lookup(new LookupRequest { Parent = dir.Attr.Fid, Name = ".." })).Fid);
        Assert.Equal(dir.Attr.Fid, (await mds.Service.Lookup(new LookupRequest { Parent = dir.Attr.Fid, Name = "." })).Fid);
        var looked = await mds.Service.Lookup(new LookupRequest { Parent = dir.Attr.Fid, Name = "f" });
        Assert.Equal(file.Attr.Fid, looked.Fid);
        Assert.Equal(file.Attr.Fid, (await mds.Service.ResolvePath(new PathRequest { Path = "/a/f" })).Fid);
        Assert.Equal(FileType.Symlink, (await mds.Service.ResolvePath(new PathRequest { Path = "/a/l" })).Type);
        Assert.Equal(3u, (await mds.Service.GetAttr(new FidRequest { Fid = Root })).Nlink);
    }

    [Fact]
    public async Task Resolve_path_names_the_missing_or_non_directory_component()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        await mds.CreateAsync("f");
        var missing = await Fails(Errno.ENOENT, () => mds.Service.ResolvePath(new PathRequest { Path = "/x/y" }));
        Assert.Contains("'x'", missing.Message);
        var notDir = await Fails(Errno.ENOTDIR, () => mds.Service.ResolvePath(new PathRequest { Path = "/f/y" }));
        Assert.Contains("'/f'", notDir.Message);
        await Fails(Errno.EINVAL, () => mds.Service.ResolvePath(new PathRequest { Path = "relative" }));
        await Fails(Errno.ENOTDIR, () => mds.Service.ResolvePath(new PathRequest { Path = "/f/" }));
        Assert.Equal(Root, (await mds.Service.ResolvePath(new PathRequest { Path = "/" })).Fid);
    }

    [Theory]
    [InlineData("", Errno.EINVAL)]
    [InlineData(".", Errno.EINVAL)]
    [InlineData("..", Errno.EINVAL)]
    [InlineData("a/b", Errno.EINVAL)]
    [InlineData("a\0b", Errno.EINVAL)]
    public async Task Bad_names_are_rejected(string name, Errno errno)
    {
        await using var mds = await StartAsync();
        await Fails(errno, () => mds.MkdirAsync(name));
    }

    [Fact]
    public async Task Names_longer_than_255_bytes_are_ENAMETOOLONG_and_255_is_fine()
    {
        await using var mds = await StartAsync();
        await Fails(Errno.ENAMETOOLONG, () => mds.MkdirAsync(new string('x', 256)));
        await Fails(Errno.ENAMETOOLONG, () => mds.MkdirAsync(new string('é', 128))); // 256 UTF-8 bytes
        Assert.True((await mds.MkdirAsync(new string('x', 255))).Created);
    }

    [Fact]
    public async Task Create_existing_name_exclusive_is_EEXIST_otherwise_returns_existing()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var first = await mds.CreateAsync("f");
        var again = await mds.Service.Create(new CreateRequest { Parent = Root, Name = "f" });
        Assert.False(again.Created);
        Assert.Equal(first.Attr.Fid, again.Attr.Fid);
        await Fails(Errno.EEXIST, () => mds.Service.Create(new CreateRequest { Parent = Root, Name = "f", Exclusive = true }));
        await Fails(Errno.EEXIST, () => mds.MkdirAsync("f"));
        await mds.MkdirAsync("d");
        await Fails(Errno.EISDIR, () => mds.Service.Create(new CreateRequest { Parent = Root, Name = "d" }));
    }

    [Fact]
    public async Task Errno_cases_of_unlink_rmdir_and_lookup()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var d = await mds.MkdirAsync("d");
        var f = await mds.CreateAsync("f");
        await mds.CreateAsync("inner", parent: d.Attr.Fid);

        await Fails(Errno.ENOENT, () => mds.Service.Unlink(new NameRequest { Parent = Root, Name = "nope" }));
        await Fails(Errno.EISDIR, () => mds.Service.Unlink(new NameRequest { Parent = Root, Name = "d" }));
        await Fails(Errno.ENOTDIR, () => mds.Service.Rmdir(new NameRequest { Parent = Root, Name = "f" }));
        await Fails(Errno.ENOTEMPTY, () => mds.Service.Rmdir(new NameRequest { Parent = Root, Name = "d" }));
        await Fails(Errno.ENOTDIR, () => mds.Service.Lookup(new LookupRequest { Parent = f.Attr.Fid, Name = "x" }));
        await Fails(Errno.ENOTDIR, () => mds.CreateAsync("x", parent: f.Attr.Fid));

        await mds.Service.Unlink(new NameRequest { Parent = d.Attr.Fid, Name = "inner" });
        await mds.Service.Rmdir(new NameRequest { Parent = Root, Name = "d" });
        await Fails(Errno.ENOENT, () => mds.Service.GetAttr(new FidRequest { Fid = d.Attr.Fid }));
        Assert.Equal(2u, (await mds.Service.GetAttr(new FidRequest { Fid = Root })).Nlink);
    }

    [Fact]
    public async Task SetAttr_changes_only_the_valid_fields_and_size_logs_TRUNC()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f");
        var after = await mds.Service.SetAttr(new SetAttrRequest { Fid = f.Attr.Fid, Valid = 1 | 2, Mode = 384, Uid = 7, Gid = 9 });
        Assert.Equal(384u, after.Mode);
        Assert.Equal(7u, after.Uid);
        Assert.Equal(0u, after.Gid);

        var truncated = await mds.Service.SetAttr(new SetAttrRequest { Fid = f.Attr.Fid, Valid = 8, Size = 12345 });
        Assert.Equal(12345ul, truncated.Size);
        var records = await mds.ChangelogAsync();
        Assert.Equal(ChangelogType.ClSetattr, records[^2].Type);
        Assert.Equal(ChangelogType.ClTrunc, records[^1].Type);

        var d = await mds.MkdirAsync("d");
        await Fails(Errno.EISDIR, () => mds.Service.SetAttr(new SetAttrRequest { Fid = d.Attr.Fid, Valid = 8, Size = 1 }));
    }

    [Fact]
    public async Task UpdateSize_only_grows_the_size()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f");
        Assert.Equal(100ul, (await mds.Service.UpdateSize(new UpdateSizeRequest { Fid = f.Attr.Fid, Size = 100, MtimeNs = 5 })).Size);
        var shrink = await mds.Service.UpdateSize(new UpdateSizeRequest { Fid = f.Attr.Fid, Size = 10 });
        Assert.Equal(100ul, shrink.Size);
    }

    [Fact]
    public async Task Statfs_sums_the_registered_osts_and_counts_inodes()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        await mds.CreateAsync("f");
        var s = await mds.Service.Statfs(new StatfsRequest());
        Assert.Equal(4ul << 40, s.TotalBytes);
        Assert.Equal(4ul << 39, s.FreeBytes);
        Assert.Equal(2ul, s.Files);
        Assert.Equal(4u, s.OstsUp);
    }

    [Fact]
    public async Task Fids_are_unique_and_never_the_root()
    {
        await using var mds = await StartAsync();
        var fids = new HashSet<Fid>();
        for (var i = 0; i < 50; i++)
        {
            Assert.True(fids.Add(Service.ProtoConvert.Fid((await mds.MkdirAsync($"d{i}")).Attr.Fid)));
        }

        Assert.DoesNotContain(Fid.Root, fids);
    }
}
