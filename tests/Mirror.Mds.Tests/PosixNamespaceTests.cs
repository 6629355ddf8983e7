using System.Collections.Concurrent;
using Mirror.Core.Errors;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

/// <summary>What a POSIX test suite checks of the namespace: link counts, times, rename rules, ownership.</summary>
public sealed class PosixNamespaceTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Link_adds_a_name_counts_links_and_survives_a_restart()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var d = await mds.MkdirAsync("d");
        var f = await mds.CreateAsync("f");
        mds.Clock.Advance(Tick);

        var linked = await mds.Service.Link(new LinkRequest { Fid = f.Attr.Fid, NewParent = d.Attr.Fid, NewName = "g" });
        Assert.Equal(2u, linked.Nlink);
        Assert.True(linked.CtimeNs > f.Attr.CtimeNs);
        var dir = await mds.Service.GetAttr(new FidRequest { Fid = d.Attr.Fid });
        Assert.Equal(linked.CtimeNs, dir.MtimeNs);
        Assert.Equal(2u, dir.Nlink); // a file's link is not a subdirectory
        Assert.Equal(ChangelogType.ClHardlink, (await mds.ChangelogAsync())[^1].Type);

        await mds.ReopenAsync();
        Assert.Equal(f.Attr.Fid, (await mds.Service.ResolvePath(new PathRequest { Path = "/d/g" })).Fid);
        Assert.Equal(f.Attr.Fid, (await mds.Service.ResolvePath(new PathRequest { Path = "/f" })).Fid);
        Assert.Equal(2u, (await mds.Service.GetAttr(new FidRequest { Fid = f.Attr.Fid })).Nlink);
    }

    [Fact]
    public async Task Link_errno_cases_change_nothing()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var d = await mds.MkdirAsync("d");
        var f = await mds.CreateAsync("f");
        var before = (await mds.ChangelogAsync()).Count;

        LinkRequest L(FidMsg fid, string name, FidMsg? parent = null) => new() { Fid = fid, NewParent = parent ?? Root, NewName = name };
        await Fails(Errno.EPERM, () => mds.Service.Link(L(d.Attr.Fid, "d2")));
        await Fails(Errno.EEXIST, () => mds.Service.Link(L(f.Attr.Fid, "d")));
        await Fails(Errno.ENOTDIR, () => mds.Service.Link(L(f.Attr.Fid, "x", f.Attr.Fid)));
        await Fails(Errno.ENAMETOOLONG, () => mds.Service.Link(L(f.Attr.Fid, new string('n', 256))));
        await Fails(Errno.ENOENT, () => mds.Service.Link(L(Service.ProtoConvert.Msg(new Core.Fid(0x200000400, 999, 0)), "x")));

        Assert.Equal(before, (await mds.ChangelogAsync()).Count);
        Assert.Equal(1u, (await mds.Service.GetAttr(new FidRequest { Fid = f.Attr.Fid })).Nlink);
    }

    [Fact]
    public async Task Unlinking_one_of_two_names_keeps_the_file_and_its_objects_until_the_last_name_goes()
    {
        var destroyed = new ConcurrentBag<Core.Fid>();
        await using var mds = await StartAsync((_, orphan, _) =>
        {
            destroyed.Add(orphan.Object.Fid);
            return Task.CompletedTask;
        });
        await mds.RegisterFourOstsAsync();
        var d = await mds.MkdirAsync("d");
        var f = await mds.CreateAsync("f");
        var fid = Service.ProtoConvert.Fid(f.Attr.Fid);
        await mds.Service.Link(new LinkRequest { Fid = f.Attr.Fid, NewParent = d.Attr.Fid, NewName = "g" });

        // The primary name goes first: the other name takes over, also after a restart.
        await mds.Service.Unlink(new NameRequest { Parent = Root, Name = "f" });
        var left = await mds.Service.GetAttr(new FidRequest { Fid = f.Attr.Fid });
        Assert.Equal(1u, left.Nlink);
        await mds.ReopenAsync();
        Assert.Equal(1u, (await mds.Service.GetAttr(new FidRequest { Fid = f.Attr.Fid })).Nlink);
        Assert.Equal((d.Attr.Fid, "g"), mds.Core.Model.Read(() => (Service.ProtoConvert.Msg(mds.Core.Model.Get(fid).Parent), mds.Core.Model.Get(fid).Name)));
        Assert.DoesNotContain(fid, destroyed);

        await mds.Service.Unlink(new NameRequest { Parent = d.Attr.Fid, Name = "g" });
        await Fails(Errno.ENOENT, () => mds.Service.GetAttr(new FidRequest { Fid = f.Attr.Fid }));
        await WaitForAsync(() => destroyed.Contains(fid), "the last link's objects destroyed");
    }

    [Fact]
    public async Task Rename_over_a_hard_linked_file_drops_one_link_and_destroys_nothing()
    {
        var destroyed = new ConcurrentBag<Core.Fid>();
        await using var mds = await StartAsync((_, orphan, _) =>
        {
            destroyed.Add(orphan.Object.Fid);
            return Task.CompletedTask;
        });
        await mds.RegisterFourOstsAsync();
        var a = await mds.CreateAsync("a");
        var b = await mds.CreateAsync("b");
        await mds.Service.Link(new LinkRequest { Fid = b.Attr.Fid, NewParent = Root, NewName = "b2" });

        await mds.Service.Rename(new RenameRequest { SrcParent = Root, SrcName = "a", DstParent = Root, DstName = "b" });
        Assert.Equal(1u, (await mds.Service.GetAttr(new FidRequest { Fid = b.Attr.Fid })).Nlink);
        Assert.Equal(b.Attr.Fid, (await mds.Service.ResolvePath(new PathRequest { Path = "/b2" })).Fid);
        Assert.Equal(a.Attr.Fid, (await mds.Service.ResolvePath(new PathRequest { Path = "/b" })).Fid);

        // Two names of one file: rename(2) does nothing.
        await mds.Service.Rename(new RenameRequest { SrcParent = Root, SrcName = "b2", DstParent = Root, DstName = "b2" });
        Assert.Empty(destroyed);
    }

    [Fact]
    public async Task Directory_nlink_is_two_plus_subdirectories_through_mkdir_rename_rmdir_and_restart()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var a = await mds.MkdirAsync("a");
        var b = await mds.MkdirAsync("b");
        await mds.MkdirAsync("x", a.Attr.Fid);
        await mds.MkdirAsync("y", a.Attr.Fid);
        await mds.CreateAsync("f", parent: a.Attr.Fid);
        async Task<uint> Nlink(FidMsg fid) => (await mds.Service.GetAttr(new FidRequest { Fid = fid })).Nlink;

        Assert.Equal(4u, await Nlink(a.Attr.Fid));
        await mds.Service.Rename(new RenameRequest { SrcParent = a.Attr.Fid, SrcName = "x", DstParent = b.Attr.Fid, DstName = "x" });
        Assert.Equal(3u, await Nlink(a.Attr.Fid));
        Assert.Equal(3u, await Nlink(b.Attr.Fid));

        // A directory over an empty directory: the target's link goes, the source's arrives.
        await mds.MkdirAsync("empty", b.Attr.Fid);
        Assert.Equal(4u, await Nlink(b.Attr.Fid));
        await mds.Service.Rename(new RenameRequest { SrcParent = a.Attr.Fid, SrcName = "y", DstParent = b.Attr.Fid, DstName = "empty" });
        Assert.Equal(2u, await Nlink(a.Attr.Fid));
        Assert.Equal(4u, await Nlink(b.Attr.Fid));

        await mds.Service.Rmdir(new NameRequest { Parent = b.Attr.Fid, Name = "x" });
        await mds.ReopenAsync();
        Assert.Equal(3u, await Nlink(b.Attr.Fid));
        Assert.Equal(2u, await Nlink(a.Attr.Fid));
        Assert.Equal(4u, await Nlink(Root));
    }

    [Fact]
    public async Task Rename_exchange_of_a_directory_and_a_file_in_different_parents_moves_the_link_counts()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var p = await mds.MkdirAsync("p");
        var q = await mds.MkdirAsync("q");
        var dir = await mds.MkdirAsync("dir", p.Attr.Fid);
        var file = await mds.CreateAsync("file", parent: q.Attr.Fid);

        await mds.Service.Rename(new RenameRequest { SrcParent = p.Attr.Fid, SrcName = "dir", DstParent = q.Attr.Fid, DstName = "file", Flags = 2 });
        Assert.Equal(dir.Attr.Fid, (await mds.Service.ResolvePath(new PathRequest { Path = "/q/file" })).Fid);
        Assert.Equal(file.Attr.Fid, (await mds.Service.ResolvePath(new PathRequest { Path = "/p/dir" })).Fid);
        Assert.Equal(2u, (await mds.Service.GetAttr(new FidRequest { Fid = p.Attr.Fid })).Nlink);
        Assert.Equal(3u, (await mds.Service.GetAttr(new FidRequest { Fid = q.Attr.Fid })).Nlink);
        Assert.Equal(q.Attr.Fid, (await mds.Service.Lookup(new LookupRequest { Parent = dir.Attr.Fid, Name = ".." })).Fid);
    }

    [Fact]
    public async Task Every_entry_change_sets_the_parents_mtime_and_ctime_and_the_inodes_ctime()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var d = await mds.MkdirAsync("d");
        var e = await mds.MkdirAsync("e");
        async Task<Attr> Get(FidMsg fid) => await mds.Service.GetAttr(new FidRequest { Fid = fid });
        async Task ChangedNow(FidMsg dir, long now)
        {
            var a = await Get(dir);
            Assert.Equal(now, a.MtimeNs);
            Assert.Equal(now, a.CtimeNs);
        }

        long Now() => (mds.Clock.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;

        mds.Clock.Advance(Tick);
        var f = await mds.CreateAsync("f", parent: d.Attr.Fid);
        await ChangedNow(d.Attr.Fid, Now());

        mds.Clock.Advance(Tick);
        await mds.Service.Rename(new RenameRequest { SrcParent = d.Attr.Fid, SrcName = "f", DstParent = e.Attr.Fid, DstName = "f" });
        await ChangedNow(d.Attr.Fid, Now());
        await ChangedNow(e.Attr.Fid, Now());
        Assert.Equal(Now(), (await Get(f.Attr.Fid)).CtimeNs);
        Assert.Equal(f.Attr.MtimeNs, (await Get(f.Attr.Fid)).MtimeNs); // rename is no data change

        mds.Clock.Advance(Tick);
        await mds.Service.Link(new LinkRequest { Fid = f.Attr.Fid, NewParent = d.Attr.Fid, NewName = "g" });
        mds.Clock.Advance(Tick);
        await mds.Service.Unlink(new NameRequest { Parent = e.Attr.Fid, Name = "f" });
        await ChangedNow(e.Attr.Fid, Now());
        Assert.Equal(Now(), (await Get(f.Attr.Fid)).CtimeNs);

        mds.Clock.Advance(Tick);
        var set = await mds.Service.SetAttr(new SetAttrRequest { Fid = f.Attr.Fid, Valid = 1, Mode = 384 });
        Assert.Equal(Now(), set.CtimeNs);
        Assert.Equal(f.Attr.MtimeNs, set.MtimeNs);
    }

    [Fact]
    public async Task Create_and_mkdir_store_the_callers_uid_gid_and_mode()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.Service.Create(new CreateRequest { Parent = Root, Name = "f", Mode = Convert.ToUInt32("640", 8), Uid = 1000, Gid = 100 });
        var d = await mds.Service.Mkdir(new CreateRequest { Parent = Root, Name = "d", Mode = Convert.ToUInt32("1777", 8), Uid = 1001, Gid = 101 });
        Assert.Equal((Convert.ToUInt32("640", 8), 1000u, 100u), (f.Attr.Mode, f.Attr.Uid, f.Attr.Gid));
        Assert.Equal((Convert.ToUInt32("1777", 8), 1001u, 101u), (d.Attr.Mode, d.Attr.Uid, d.Attr.Gid));

        await mds.ReopenAsync();
        var again = await mds.Service.GetAttr(new FidRequest { Fid = d.Attr.Fid });
        Assert.Equal((Convert.ToUInt32("1777", 8), 1001u, 101u), (again.Mode, again.Uid, again.Gid));
    }

    [Fact]
    public async Task A_setgid_directory_gives_new_entries_its_group_and_subdirectories_keep_setgid()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var shared = await mds.Service.Mkdir(new CreateRequest { Parent = Root, Name = "shared", Mode = Convert.ToUInt32("2775", 8), Uid = 0, Gid = 500 });
        var f = await mds.Service.Create(new CreateRequest { Parent = shared.Attr.Fid, Name = "f", Mode = Convert.ToUInt32("644", 8), Uid = 1000, Gid = 1000 });
        var sub = await mds.Service.Mkdir(new CreateRequest { Parent = shared.Attr.Fid, Name = "sub", Mode = Convert.ToUInt32("755", 8), Uid = 1000, Gid = 1000 });
        var plain = await mds.Service.Mkdir(new CreateRequest { Parent = Root, Name = "plain", Mode = Convert.ToUInt32("755", 8), Uid = 1000, Gid = 1000 });

        Assert.Equal(500u, f.Attr.Gid);
        Assert.Equal(Convert.ToUInt32("644", 8), f.Attr.Mode);
        Assert.Equal(500u, sub.Attr.Gid);
        Assert.Equal(Convert.ToUInt32("2755", 8), sub.Attr.Mode);
        Assert.Equal(1000u, plain.Attr.Gid);
        Assert.Equal(Convert.ToUInt32("755", 8), plain.Attr.Mode);
    }

    [Fact]
    public async Task Readdir_with_attrs_returns_type_fid_and_attributes_and_cookies_stay_stable()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f");
        await mds.MkdirAsync("d");
        await mds.Service.Symlink(new CreateRequest { Parent = Root, Name = "l", SymlinkTarget = "f" });

        var first = await mds.Service.Readdir(new ReaddirRequest { Fid = Root, MaxEntries = 1, WithAttrs = true });
        Assert.False(first.Eof);
        var entry = Assert.Single(first.Entries);
        Assert.Equal(("f", f.Attr.Fid, FileType.Regular), (entry.Name, entry.Fid, entry.Type));
        Assert.Equal(f.Attr, entry.Attr);

        // A create and an unlink between pages neither repeat nor skip an entry that stayed.
        await mds.Service.Unlink(new NameRequest { Parent = Root, Name = "f" });
        await mds.CreateAsync("new");
        var rest = await mds.Service.Readdir(new ReaddirRequest { Fid = Root, Cookie = entry.Cookie, WithAttrs = true });
        Assert.True(rest.Eof);
        Assert.Equal(["d", "l", "new"], rest.Entries.Select(e => e.Name));
        Assert.Equal(FileType.Symlink, rest.Entries[1].Attr.Type);
        Assert.Equal("f", rest.Entries[1].Attr.SymlinkTarget);

        var plain = await mds.Service.Readdir(new ReaddirRequest { Fid = Root });
        Assert.All(plain.Entries, e => Assert.Null(e.Attr));
    }
}
