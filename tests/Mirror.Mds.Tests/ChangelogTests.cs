using Mirror.Core.Errors;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

public sealed class ChangelogTests
{
    [Fact]
    public async Task Namespace_changes_produce_records_in_order()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var d = await mds.MkdirAsync("d");
        await mds.CreateAsync("f", parent: d.Attr.Fid);
        await mds.Service.Symlink(new CreateRequest { Parent = Root, Name = "l", SymlinkTarget = "/d/f" });
        await mds.Service.Rename(new RenameRequest { SrcParent = d.Attr.Fid, SrcName = "f", DstParent = Root, DstName = "g" });
        await mds.Service.Unlink(new NameRequest { Parent = Root, Name = "g" });
        await mds.Service.Rmdir(new NameRequest { Parent = Root, Name = "d" });

        var records = await mds.ChangelogAsync();
        Assert.Equal(
            [ChangelogType.ClMkdir, ChangelogType.ClCreate, ChangelogType.ClSymlink, ChangelogType.ClRename, ChangelogType.ClUnlink, ChangelogType.ClRmdir],
            records.Select(r => r.Type));
        Assert.Equal(records.Select(r => r.Index).Order(), records.Select(r => r.Index));
        Assert.Equal("d", records[0].Name);
        Assert.Equal(d.Attr.Fid, records[1].Parent);
    }

    [Fact]
    public async Task Register_read_clear_and_purge()
    {
        await using var mds = await StartAsync();
        await mds.MkdirAsync("before");
        var a = await mds.Service.ChangelogRegister(new ChangelogRegisterRequest { Name = "agent" });
        var b = await mds.Service.ChangelogRegister(new ChangelogRegisterRequest { Name = "audit" });
        Assert.Equal(a.Consumer, (await mds.Service.ChangelogRegister(new ChangelogRegisterRequest { Name = "agent" })).Consumer);
        Assert.NotEqual(a.Consumer, b.Consumer);
        Assert.Equal(1ul, a.ClearedIndex);

        for (var i = 0; i < 5; i++)
        {
            await mds.MkdirAsync($"d{i}");
        }

        var read = await mds.Service.ChangelogRead(new ChangelogReadRequest { AfterIndex = 3, MaxRecords = 2 });
        Assert.Equal([4ul, 5ul], read.Records.Select(r => r.Index));
        Assert.Equal(6ul, read.LastIndex);
        Assert.Equal(5ul, mds.Core.Changelog.Backlog());

        await mds.Service.ChangelogClear(new ChangelogClearRequest { Consumer = a.Consumer, UpToIndex = 4 });
        Assert.Equal(6, (await mds.ChangelogAsync()).Count); // b has cleared nothing yet
        await mds.Service.ChangelogClear(new ChangelogClearRequest { Consumer = b.Consumer, UpToIndex = 3 });
        Assert.Equal([4ul, 5ul, 6ul], (await mds.ChangelogAsync()).Select(r => r.Index));
        Assert.Equal(3ul, mds.Core.Changelog.Backlog());

        await Fails(Errno.ENOENT, () => mds.Service.ChangelogClear(new ChangelogClearRequest { Consumer = "cl99", UpToIndex = 1 }));
        await Fails(Errno.EINVAL, () => mds.Service.ChangelogClear(new ChangelogClearRequest { Consumer = a.Consumer, UpToIndex = 100 }));
    }

    [Fact]
    public async Task Indexes_never_restart_after_everything_was_purged()
    {
        await using var mds = await StartAsync();
        var a = await mds.Service.ChangelogRegister(new ChangelogRegisterRequest { Name = "agent" });
        await mds.MkdirAsync("x");
        await mds.Service.ChangelogClear(new ChangelogClearRequest { Consumer = a.Consumer });
        Assert.Empty(await mds.ChangelogAsync());
        await mds.ReopenAsync();
        await mds.MkdirAsync("y");
        Assert.Equal(2ul, (await mds.ChangelogAsync()).Single().Index);
    }
}
