using Mirror.Core.Errors;
using Mirror.Rpc.Tests.Proto;
using Mirror.Rpc.Tests.Support;

namespace Mirror.Rpc.Tests.Channel;

public sealed class UnaryTests
{
    [Fact]
    public async Task Unary_round_trip_returns_the_handlers_reply()
    {
        await using var server = await EchoServer.StartAsync(token: "secret");
        using var channel = RpcChannel.ForAddress(server.Address, "secret");

        var reply = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request("héllo", payload: [1, 2, 3]));

        Assert.Equal("héllo", reply.Text);
        Assert.Equal(new byte[] { 1, 2, 3 }, reply.Payload.ToByteArray());
    }

    [Fact]
    public async Task Mirror_exception_reaches_the_caller_as_status_and_errno()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Fail, EchoService.Request("no such file: /a/ü%b", errno: Errno.ENOENT)));

        Assert.Equal(StatusCode.NotFound, ex.Status);
        Assert.Equal(Errno.ENOENT, ex.Errno);
        Assert.Equal("no such file: /a/ü%b", ex.Message);
        Assert.Equal(Errno.ENOENT, ex.ToMirrorException().Errno);
    }
}
