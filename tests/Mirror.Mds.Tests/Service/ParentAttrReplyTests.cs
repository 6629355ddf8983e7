using Google.Protobuf;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

/// <summary>
/// Namespace replies carry the parent directories' attributes as of the commit (mds.proto parent_attr,
/// NFSv3 wcc "after"): each must equal what a GetAttr of the directory answers right after the change.
/// </summary>
public sealed class ParentAttrReplyTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Create_mkdir_and_symlink_replies_carry_the_parent_as_changed()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var d = await mds.MkdirAsync("d");
        Assert.Equal(await GetAttr(mds, Root), d.ParentAttr);
        mds.Clock.Advance(Tick);

        var f = await mds.CreateAsync("f", parent: d.Attr.Fid);
        Assert.Equal(d.Attr.Fid, f.ParentAttr.Fid);
        Assert.True(f.ParentAttr.MtimeNs > d.Attr.MtimeNs, "a create moves the parent's mtime");
        Assert.Equal(f.ParentAttr.MtimeNs, f.ParentAttr.CtimeNs);
        Assert.Equal(2u, f.ParentAttr.Nlink);
        Assert.Equal(await GetAttr(mds, d.Attr.Fid), f.ParentAttr);
        mds.Clock.Advance(Tick);

        var sub = await mds.MkdirAsync("sub", d.Attr.Fid);
        Assert.Equal(3u, sub.ParentAttr.Nlink); // a subdirectory's ".." counts
        Assert.True(sub.ParentAttr.MtimeNs > f.ParentAttr.MtimeNs);
        Assert.Equal(await GetAttr(mds, d.Attr.Fid), sub.ParentAttr);

        var link = await mds.Service.Symlink(new CreateRequest { Parent = d.Attr.Fid, Name = "l", SymlinkTarget = "f", Exclusive = true });
        Assert.Equal(await GetAttr(mds, d.Attr.Fid), link.ParentAttr);

        // Not exclusive and the name exists: nothing changed, the reply still says how the parent is.
        var again = await mds.Service.Create(new CreateRequest { Parent = d.Attr.Fid, Name = "f", Mode = 420 });
        Assert.False(again.Created);
        Assert.Equal(await GetAttr(mds, d.Attr.Fid), again.ParentAttr);
    }

    [Fact]
    public async Task Unlink_rmdir_rename_and_link_replies_carry_the_parents_as_changed()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var a = await mds.MkdirAsync("a");
        var b = await mds.MkdirAsync("b");
        var f = await mds.CreateAsync("f", parent: a.Attr.Fid);
        await mds.MkdirAsync("sub", a.Attr.Fid);
        mds.Clock.Advance(Tick);

        var linked = await mds.Service.Link(new LinkRequest { Fid = f.Attr.Fid, NewParent = b.Attr.Fid, NewName = "g" });
        Assert.Equal(2u, linked.Nlink);
        Assert.Equal(await GetAttr(mds, b.Attr.Fid), linked.ParentAttr);
        Assert.Null((await GetAttr(mds, f.Attr.Fid)).ParentAttr); // only Link replies carry it
        mds.Clock.Advance(Tick);

        var unlinked = await mds.Service.Unlink(new NameRequest { Parent = b.Attr.Fid, Name = "g" });
        Assert.Equal(await GetAttr(mds, b.Attr.Fid), unlinked.ParentAttr);
        Assert.True(unlinked.ParentAttr.MtimeNs > linked.ParentAttr.MtimeNs);
        Assert.Null(unlinked.DstParentAttr);
        mds.Clock.Advance(Tick);

        var moved = await mds.Service.Rename(new RenameRequest { SrcParent = a.Attr.Fid, SrcName = "sub", DstParent = b.Attr.Fid, DstName = "sub" });
        var aNow = await GetAttr(mds, a.Attr.Fid);
        var bNow = await GetAttr(mds, b.Attr.Fid);
        Assert.Equal(aNow, moved.ParentAttr);
        Assert.Equal(bNow, moved.DstParentAttr);
        Assert.Equal(2u, aNow.Nlink); // the subdirectory left a ...
        Assert.Equal(3u, bNow.Nlink); // ... for b
        mds.Clock.Advance(Tick);

        var same = await mds.Service.Rename(new RenameRequest { SrcParent = a.Attr.Fid, SrcName = "f", DstParent = a.Attr.Fid, DstName = "f2" });
        Assert.Equal(await GetAttr(mds, a.Attr.Fid), same.ParentAttr);
        Assert.Equal(same.ParentAttr, same.DstParentAttr);
        mds.Clock.Advance(Tick);

        var removed = await mds.Service.Rmdir(new NameRequest { Parent = b.Attr.Fid, Name = "sub" });
        Assert.Equal(await GetAttr(mds, b.Attr.Fid), removed.ParentAttr);
        Assert.Equal(2u, removed.ParentAttr.Nlink);
    }

    [Fact]
    public void A_namespace_reply_and_an_empty_message_read_as_each_other_on_the_wire()
    {
        // Older peers: a client expecting Empty ignores the fields; one expecting NamespaceReply from an older
        // MDS sees no parent attributes (and then asks with GetAttr).
        var reply = new NamespaceReply { ParentAttr = new Attr { Nlink = 7, MtimeNs = 42 } };
        Assert.NotNull(Mirror.Protocol.Empty.Parser.ParseFrom(reply.ToByteArray()));
        var fromEmpty = NamespaceReply.Parser.ParseFrom(new Mirror.Protocol.Empty().ToByteArray());
        Assert.Null(fromEmpty.ParentAttr);
        Assert.Null(fromEmpty.DstParentAttr);
    }

    private static async Task<Attr> GetAttr(TestMds mds, Mirror.Protocol.FidMsg fid) => await mds.Service.GetAttr(new FidRequest { Fid = fid });
}
