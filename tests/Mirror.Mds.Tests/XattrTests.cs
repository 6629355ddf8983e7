using Google.Protobuf;
using Mirror.Core.Errors;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

public sealed class XattrTests
{
    private static SetXattrRequest Set(FidMsg fid, string name, string value, uint flags = 0) =>
        new() { Fid = fid, Name = name, Value = ByteString.CopyFromUtf8(value), Flags = flags };

    [Fact]
    public async Task Set_get_list_remove_and_survive_a_restart()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f");
        mds.Clock.Advance(TimeSpan.FromSeconds(1));
        await mds.Service.SetXattr(Set(f.Attr.Fid, "user.b", "two"));
        await mds.Service.SetXattr(Set(f.Attr.Fid, "trusted.a", "one"));
        await mds.Service.SetXattr(new SetXattrRequest { Fid = f.Attr.Fid, Name = "user.empty" });
        Assert.True((await mds.Service.GetAttr(new FidRequest { Fid = f.Attr.Fid })).CtimeNs > f.Attr.CtimeNs);

        await mds.ReopenAsync();
        Assert.Equal("two", (await mds.Service.GetXattr(new XattrRequest { Fid = f.Attr.Fid, Name = "user.b" })).Value.ToStringUtf8());
        Assert.Equal(0, (await mds.Service.GetXattr(new XattrRequest { Fid = f.Attr.Fid, Name = "user.empty" })).Value.Length);
        Assert.Equal(["trusted.a", "user.b", "user.empty"], (await mds.Service.ListXattr(new FidRequest { Fid = f.Attr.Fid })).Names);

        await mds.Service.RemoveXattr(new XattrRequest { Fid = f.Attr.Fid, Name = "user.b" });
        await mds.ReopenAsync();
        await Fails(Errno.ENODATA, () => mds.Service.GetXattr(new XattrRequest { Fid = f.Attr.Fid, Name = "user.b" }));
        await Fails(Errno.ENODATA, () => mds.Service.RemoveXattr(new XattrRequest { Fid = f.Attr.Fid, Name = "user.b" }));
        Assert.Equal(["trusted.a", "user.empty"], (await mds.Service.ListXattr(new FidRequest { Fid = f.Attr.Fid })).Names);
    }

    [Fact]
    public async Task Create_and_replace_flags()
    {
        await using var mds = await StartAsync();
        var d = await mds.MkdirAsync("d");
        await Fails(Errno.ENODATA, () => mds.Service.SetXattr(Set(d.Attr.Fid, "user.x", "v", 2)));
        await mds.Service.SetXattr(Set(d.Attr.Fid, "user.x", "v1", 1));
        await Fails(Errno.EEXIST, () => mds.Service.SetXattr(Set(d.Attr.Fid, "user.x", "v2", 1)));
        await mds.Service.SetXattr(Set(d.Attr.Fid, "user.x", "v3", 2));
        await Fails(Errno.EINVAL, () => mds.Service.SetXattr(Set(d.Attr.Fid, "user.x", "v4", 3)));
        Assert.Equal("v3", (await mds.Service.GetXattr(new XattrRequest { Fid = d.Attr.Fid, Name = "user.x" })).Value.ToStringUtf8());
    }

    [Theory]
    [InlineData("security.selinux", Errno.ENOTSUP)]
    [InlineData("system.posix_acl_access", Errno.ENOTSUP)]
    [InlineData("other", Errno.ENOTSUP)]
    [InlineData("", Errno.ERANGE)]
    [InlineData("user.", Errno.EINVAL)]
    public async Task Names_outside_user_and_trusted_or_malformed_are_refused(string name, Errno errno)
    {
        await using var mds = await StartAsync();
        var d = await mds.MkdirAsync("d");
        await Fails(errno, () => mds.Service.SetXattr(Set(d.Attr.Fid, name, "v")));
        await Fails(errno, () => mds.Service.GetXattr(new XattrRequest { Fid = d.Attr.Fid, Name = name }));
        Assert.Empty((await mds.Service.ListXattr(new FidRequest { Fid = d.Attr.Fid })).Names);
    }

    [Fact]
    public async Task Limits_name_255_bytes_value_64_KiB_and_user_attributes_not_on_symlinks()
    {
        await using var mds = await StartAsync();
        var d = await mds.MkdirAsync("d");
        var l = await mds.Service.Symlink(new CreateRequest { Parent = Root, Name = "l", SymlinkTarget = "d" });

        await mds.Service.SetXattr(Set(d.Attr.Fid, "user." + new string('n', 250), "v"));
        await Fails(Errno.ERANGE, () => mds.Service.SetXattr(Set(d.Attr.Fid, "user." + new string('n', 251), "v")));
        await mds.Service.SetXattr(new SetXattrRequest { Fid = d.Attr.Fid, Name = "user.big", Value = ByteString.CopyFrom(new byte[64 * 1024]) });
        await Fails(Errno.E2BIG, () => mds.Service.SetXattr(new SetXattrRequest { Fid = d.Attr.Fid, Name = "user.big2", Value = ByteString.CopyFrom(new byte[(64 * 1024) + 1]) }));
        await Fails(Errno.EPERM, () => mds.Service.SetXattr(Set(l.Attr.Fid, "user.x", "v")));
        await mds.Service.SetXattr(Set(l.Attr.Fid, "trusted.x", "v"));
        await Fails(Errno.ENOENT, () => mds.Service.SetXattr(Set(Service.ProtoConvert.Msg(new Core.Fid(0x200000400, 999, 0)), "user.x", "v")));
    }

    [Fact]
    public async Task A_removed_inode_takes_its_attributes_with_it()
    {
        await using var mds = await StartAsync();
        var d = await mds.MkdirAsync("d");
        await mds.Service.SetXattr(Set(d.Attr.Fid, "user.x", "v"));
        await mds.Service.Rmdir(new NameRequest { Parent = Root, Name = "d" });
        await mds.ReopenAsync();

        using var connection = mds.Core.Model.Database.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM xattrs";
        Assert.Equal(0L, (long)count.ExecuteScalar()!);
    }
}
