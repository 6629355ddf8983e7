using Mirror.Client.Metadata;
using Mirror.Client.Tests.Fakes;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;

namespace Mirror.Client.Tests.Metadata;

public class MdsClientTests
{
    private static readonly MdsClientOptions Fast = new() { InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(5), RetryDeadline = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task Connect_announces_iwm_awareness_and_keeps_the_client_id()
    {
        ConnectRequest? seen = null;
        var rpc = new FakeRpc().On<ConnectRequest, ConnectReply>(MdsMethods.Connect, r => { seen = r; return new ConnectReply { ClientId = 77, MdsBootId = "b1" }; });
        var mds = new MdsClient(rpc);

        await mds.ConnectAsync("uuid-1", iwmAware: true);

        Assert.True(seen!.IwmAware);
        Assert.Equal("uuid-1", seen.ClientUuid);
        Assert.Equal(77UL, mds.ClientId);
    }

    [Fact]
    public async Task Idempotent_reads_retry_while_the_mds_is_unavailable()
    {
        var failures = 3;
        var rpc = new FakeRpc().On<FidRequest, Attr>(MdsMethods.GetAttr, r =>
            failures-- > 0 ? throw new RpcException(StatusCode.Unavailable, "connection refused") : new Attr { Fid = r.Fid, Size = 10 });
        var mds = new MdsClient(rpc, Fast);

        var attr = await mds.GetAttrAsync(new Fid(1, 2, 0));

        Assert.Equal(10UL, attr.Size);
        Assert.Equal(4, rpc.Calls.Count);
    }

    [Fact]
    public async Task Reads_give_up_at_the_retry_deadline()
    {
        var rpc = new FakeRpc().On<FidRequest, Attr>(MdsMethods.GetAttr, _ => throw new RpcException(StatusCode.Unavailable, "connection refused"));
        var mds = new MdsClient(rpc, Fast with { RetryDeadline = TimeSpan.FromMilliseconds(50) });

        var e = await Assert.ThrowsAsync<MirrorException>(() => mds.GetAttrAsync(new Fid(1, 2, 0)));

        Assert.Equal(Errno.EHOSTUNREACH, e.Errno);
    }

    [Fact]
    public async Task Modifying_calls_are_not_retried_and_keep_the_errno()
    {
        var rpc = new FakeRpc()
            .On<NameRequest, Empty>(MdsMethods.Unlink, _ => throw new RpcException(StatusCode.Unavailable, "connection refused"))
            .On<CreateRequest, CreateReply>(MdsMethods.Create, r => throw new RpcException(StatusCode.AlreadyExists, $"{r.Name} exists", Errno.EEXIST));
        var mds = new MdsClient(rpc, Fast);

        await Assert.ThrowsAsync<MirrorException>(() => mds.UnlinkAsync(Fid.Root, "x"));
        var e = await Assert.ThrowsAsync<MirrorException>(() => mds.CreateAsync(Fid.Root, "f", 0x1A4, true, null));

        Assert.Single(rpc.Calls, MdsMethods.Unlink);
        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Contains("f exists", e.Message);
    }

    [Fact]
    public async Task Readdir_follows_cookies_until_eof()
    {
        var rpc = new FakeRpc().On<ReaddirRequest, ReaddirReply>(MdsMethods.Readdir, r =>
        {
            var reply = new ReaddirReply { Eof = r.Cookie == 2 };
            reply.Entries.Add(new DirEntry { Name = $"e{r.Cookie}", Cookie = r.Cookie + 1, Type = FileType.Regular, Fid = new Mirror.Protocol.FidMsg { Seq = 1, Oid = (uint)r.Cookie } });
            return reply;
        });

        var entries = await new MdsClient(rpc).ReaddirAsync(Fid.Root);

        Assert.Equal(new[] { "e0", "e1", "e2" }, entries.Select(e => e.Name));
    }
}
