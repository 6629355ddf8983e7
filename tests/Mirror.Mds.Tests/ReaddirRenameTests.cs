using Mirror.Core.Errors;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

public sealed class ReaddirRenameTests
{
    [Fact]
    public async Task Readdir_pages_with_cookies_and_survives_removals_between_pages()
    {
        await using var mds = await StartAsync();
        for (var i = 0; i < 25; i++)
        {
            await mds.MkdirAsync($"d{i:00}");
        }

        var seen = new List<string>();
        ulong cookie = 0;
        var pages = 0;
        while (true)
        {
            var page = await mds.Service.Readdir(new ReaddirRequest { Fid = Root, Cookie = cookie, MaxEntries = 10 });
            pages++;
            seen.AddRange(page.Entries.Select(e => e.Name));
            if (pages == 1)
            {
                // Removing an entry already returned must not shift the next page.
                await mds.Service.Rmdir(new NameRequest { Parent = Root, Name = "d00" });
            }

            if (page.Eof)
            {
                break;
            }

            cookie = page.Entries[^1].Cookie;
        }

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"d{i:00}"), seen);
    }

    [Fact]
    public async Task Rename_moves_a_file_and_replaces_an_existing_one()
    {
        var destroyed = new System.Collections.Concurrent.ConcurrentBag<Core.Fid>();
        await using var mds = await StartAsync((_, orphan, _) =>
        {
            destroyed.Add(orphan.Object.Fid);
            return Task.CompletedTask;
        });
        await mds.RegisterFourOstsAsync();
        var d = await mds.MkdirAsync("d");
        var a = await mds.CreateAsync("a");
        var b = await mds.CreateAsync("b", parent: d.Attr.Fid);

        await mds.Service.Rename(new RenameRequest { SrcParent = Root, SrcName = "a", DstParent = d.Attr.Fid, DstName = "b" });
        Assert.Equal(a.Attr.Fid, (await mds.Service.ResolvePath(new PathRequest { Path = "/d/b" })).Fid);
        await Fails(Errno.ENOENT, () => mds.Service.Lookup(new LookupRequest { Parent = Root, Name = "a" }));
        await Fails(Errno.ENOENT, () => mds.Service.GetAttr(new FidRequest { Fid = b.Attr.Fid }));
        await WaitForAsync(() => destroyed.Contains(Service.ProtoConvert.Fid(b.Attr.Fid)), "the replaced file's object destroyed");
        Assert.DoesNotContain(Service.ProtoConvert.Fid(a.Attr.Fid), destroyed);
    }

    [Fact]
    public async Task Rename_noreplace_exchange_and_type_rules()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f");
        var g = await mds.CreateAsync("g");
        var d = await mds.MkdirAsync("d");
        var e = await mds.MkdirAsync("e");
        await mds.CreateAsync("x", parent: e.Attr.Fid);

        RenameRequest R(string s, string t, uint flags = 0) => new() { SrcParent = Root, SrcName = s, DstParent = Root, DstName = t, Flags = flags };
        await Fails(Errno.EEXIST, () => mds.Service.Rename(R("f", "g", 1)));
        await Fails(Errno.EISDIR, () => mds.Service.Rename(R("f", "d")));
        await Fails(Errno.ENOTDIR, () => mds.Service.Rename(R("d", "f")));
        await Fails(Errno.ENOTEMPTY, () => mds.Service.Rename(R("d", "e")));
        await Fails(Errno.ENOENT, () => mds.Service.Rename(R("f", "nope", 2)));
        await Fails(Errno.EINVAL, () => mds.Service.Rename(R("f", "g", 3)));
        await Fails(Errno.ENOENT, () => mds.Service.Rename(R("nope", "g")));

        await mds.Service.Rename(R("f", "g", 2));
        Assert.Equal(f.Attr.Fid, (await mds.Service.Lookup(new LookupRequest { Parent = Root, Name = "g" })).Fid);
        Assert.Equal(g.Attr.Fid, (await mds.Service.Lookup(new LookupRequest { Parent = Root, Name = "f" })).Fid);

        // An empty directory may be replaced by a directory.
        await mds.Service.Rename(R("e", "d"));
        Assert.Equal(e.Attr.Fid, (await mds.Service.Lookup(new LookupRequest { Parent = Root, Name = "d" })).Fid);
        await Fails(Errno.ENOENT, () => mds.Service.GetAttr(new FidRequest { Fid = d.Attr.Fid }));
    }

    [Fact]
    public async Task Moving_a_directory_into_its_own_subtree_is_EINVAL_and_changes_nothing()
    {
        await using var mds = await StartAsync();
        var a = await mds.MkdirAsync("a");
        var b = await mds.MkdirAsync("b", a.Attr.Fid);
        var c = await mds.MkdirAsync("c", b.Attr.Fid);
        var before = (await mds.ChangelogAsync()).Count;

        await Fails(Errno.EINVAL, () => mds.Service.Rename(new RenameRequest { SrcParent = Root, SrcName = "a", DstParent = c.Attr.Fid, DstName = "a" }));
        await Fails(Errno.EINVAL, () => mds.Service.Rename(new RenameRequest { SrcParent = Root, SrcName = "a", DstParent = a.Attr.Fid, DstName = "z" }));
        Assert.Equal(a.Attr.Fid, (await mds.Service.ResolvePath(new PathRequest { Path = "/a" })).Fid);
        Assert.Equal(before, (await mds.ChangelogAsync()).Count);

        await mds.Service.Rename(new RenameRequest { SrcParent = b.Attr.Fid, SrcName = "c", DstParent = Root, DstName = "c" });
        Assert.Equal(4u, (await mds.Service.GetAttr(new FidRequest { Fid = Root })).Nlink);
        Assert.Equal(2u, (await mds.Service.GetAttr(new FidRequest { Fid = b.Attr.Fid })).Nlink);
        var last = (await mds.ChangelogAsync())[^1];
        Assert.Equal(ChangelogType.ClRename, last.Type);
        Assert.Equal("c", last.Name);
    }
}
