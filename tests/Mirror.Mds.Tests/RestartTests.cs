using Microsoft.Data.Sqlite;
using Mirror.Core.Errors;
using Mirror.Mds.Host;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task Restart_keeps_namespace_layouts_changelog_consumers_osts_and_cookies()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var d = await mds.MkdirAsync("d");
        var f = await mds.CreateAsync("f", Spec(MirrorOf(Comp(4 << 20, pool: "flash"), Comp(pool: "flash", count: 2)), MirrorOf(Comp(pool: "archive"))), d.Attr.Fid);
        await mds.Service.Symlink(new CreateRequest { Parent = Root, Name = "l", SymlinkTarget = "d/f" });
        var w = await mds.Service.LayoutIntent(new LayoutIntentRequest { Fid = f.Attr.Fid, Op = LayoutIntentOp.IntentWrite });
        var consumer = await mds.Service.ChangelogRegister(new ChangelogRegisterRequest { Name = "agent" });
        var records = await mds.ChangelogAsync();
        var listing = await mds.Service.Readdir(new ReaddirRequest { Fid = Root });

        await mds.ReopenAsync();

        Assert.Equal(f.Attr.Fid, (await mds.Service.ResolvePath(new PathRequest { Path = "/d/f" })).Fid);
        Assert.Equal("d/f", (await mds.Service.ResolvePath(new PathRequest { Path = "/l" })).SymlinkTarget);
        var layout = await mds.Service.GetLayout(new FidRequest { Fid = f.Attr.Fid });
        Assert.Equal(w.Layout, layout.Layout);
        Assert.Equal(w.Attr, layout.Attr);
        Assert.Equal(records, await mds.ChangelogAsync());
        Assert.Equal(consumer.Consumer, (await mds.Service.ChangelogRegister(new ChangelogRegisterRequest { Name = "agent" })).Consumer);
        Assert.Equal(listing, await mds.Service.Readdir(new ReaddirRequest { Fid = Root }));
        var osts = await mds.Service.ListOsts(new Protocol.Empty());
        Assert.Equal(["flash", "flash", "archive", "archive"], osts.Osts.Select(o => o.Pool));
        Assert.Equal("rack3", osts.Osts[3].FailureDomain);

        // New names after a restart get new fids and later cookies.
        var g = await mds.CreateAsync("g");
        Assert.NotEqual(f.Attr.Fid, g.Attr.Fid);
        var after = await mds.Service.Readdir(new ReaddirRequest { Fid = Root });
        Assert.True(after.Entries[^1].Cookie > listing.Entries.Max(e => e.Cookie));
    }

    [Fact]
    public async Task Replies_come_after_the_commit_is_visible_to_another_connection()
    {
        await using var mds = await StartAsync();
        var tasks = Enumerable.Range(0, 200).Select(i => mds.MkdirAsync($"d{i}")).ToList();
        foreach (var task in tasks)
        {
            var reply = await task;
            using var connection = new SqliteConnection($"Data Source={Path.Combine(mds.Dir, "mds.sqlite")};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM inodes WHERE fid = $f";
            command.Parameters.AddWithValue("$f", Service.ProtoConvert.Fid(reply.Attr.Fid).ToBytes());
            Assert.Equal(1L, (long)command.ExecuteScalar()!);
        }
    }

    [Fact]
    public async Task A_second_mds_on_the_same_dir_is_refused()
    {
        await using var mds = await StartAsync();
        var e = await Assert.ThrowsAsync<MirrorException>(() => MdsCore.OpenAsync(new MdsCoreOptions { DataDir = mds.Dir }));
        Assert.Equal(Errno.EBUSY, e.Errno);
    }

    [Fact]
    public async Task Unlinked_file_objects_are_destroyed_on_every_ost_and_retried_while_one_is_down()
    {
        var calls = new System.Collections.Concurrent.ConcurrentBag<int>();
        var failOst3 = true;
        await using var mds = await StartAsync((_, orphan, _) =>
        {
            if (orphan.Ost == 3 && Volatile.Read(ref failOst3))
            {
                throw new MirrorException(Errno.EHOSTUNREACH, "OST 3 is down");
            }

            calls.Add(orphan.Ost);
            return Task.CompletedTask;
        });
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f", Spec(MirrorOf(Comp(count: -1))));
        Assert.Equal(4, f.Layout.Mirrors[0].Components[0].Osts.Count);
        await mds.Service.Unlink(new NameRequest { Parent = Root, Name = "f" });

        await WaitForAsync(() => mds.Core.Model.Database.LoadOrphans().Count == 1, "three OSTs destroyed");
        Assert.Equal([0, 1, 2], calls.Order());

        // The queue is durable: a restart still knows about OST 3's object.
        await mds.ReopenAsync();
        Assert.Equal(3, mds.Core.Model.Database.LoadOrphans().Single().Ost);
        Volatile.Write(ref failOst3, false);
        await WaitForAsync(() => mds.Core.Model.Database.LoadOrphans().Count == 0, "OST 3 destroyed after recovery");
        Assert.Contains(3, calls);
    }
}
