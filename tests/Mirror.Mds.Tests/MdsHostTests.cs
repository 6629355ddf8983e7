using System.Collections.Concurrent;
using Mirror.Core.Errors;
using Mirror.Mds.Host;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;
using static Mirror.Mds.Tests.TestMds;
using DestroyRequest = Mirror.Protocol.Ost.DestroyRequest;
using ModifyReply = Mirror.Protocol.Ost.ModifyReply;
using ObjectId = Mirror.Protocol.Ost.ObjectId;

namespace Mirror.Mds.Tests;

/// <summary>The MDS served over the real Rpc layer, with a fake OST service standing in for the OSTs.</summary>
public sealed class MdsHostTests : IAsyncLifetime
{
    private const string Token = "cluster-secret";
    private readonly string dir = Path.Combine(Path.GetTempPath(), "mds-host-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentBag<ObjectId> destroyed = [];
    private RpcServer fakeOst = null!;
    private MdsHost host = null!;
    private RpcChannel channel = null!;

    public async Task InitializeAsync()
    {
        fakeOst = await RpcServer.StartAsync(new RpcServerOptions { Token = Token, MetricsPort = null },
        [
            new RpcServiceBuilder(OstMethods.Service).Unary<DestroyRequest, ModifyReply>(OstMethods.Destroy, (r, _) =>
            {
                destroyed.Add(r.Object);
                return Task.FromResult(new ModifyReply());
            }),
        ]);
        host = await MdsHost.StartAsync(new MdsHostOptions { DataDir = dir, Token = Token });
        channel = RpcChannel.ForAddress(host.Address, Token);
    }

    public async Task DisposeAsync()
    {
        channel.Dispose();
        await host.DisposeAsync();
        await fakeOst.DisposeAsync();
        Directory.Delete(dir, recursive: true);
    }

    private Task<TResp> Call<TReq, TResp>(string method, TReq request)
        where TReq : Google.Protobuf.IMessage<TReq>
        where TResp : Google.Protobuf.IMessage<TResp>, new() =>
        channel.UnaryAsync<TReq, TResp>(method, request, new CallOptions(Timeout: TimeSpan.FromSeconds(30)));

    [Fact]
    public async Task Clients_connect_create_and_get_errnos_over_the_wire()
    {
        var a = await Call<ConnectRequest, ConnectReply>(MdsMethods.Connect, new ConnectRequest { ClientUuid = "a" });
        var b = await Call<ConnectRequest, ConnectReply>(MdsMethods.Connect, new ConnectRequest { ClientUuid = "b" });
        Assert.NotEqual(a.ClientId, b.ClientId);
        Assert.Equal(a.MdsBootId, b.MdsBootId);
        Assert.False(string.IsNullOrEmpty(a.MdsBootId));

        await Call<CreateRequest, CreateReply>(MdsMethods.Mkdir, new CreateRequest { Parent = Root, Name = "d", Mode = 493 });
        var e = await Assert.ThrowsAsync<RpcException>(() => Call<CreateRequest, CreateReply>(MdsMethods.Mkdir, new CreateRequest { Parent = Root, Name = "d" }));
        Assert.Equal(Errno.EEXIST, e.Errno);
        var missing = await Assert.ThrowsAsync<RpcException>(() => Call<PathRequest, Attr>(MdsMethods.ResolvePath, new PathRequest { Path = "/nope" }));
        Assert.Equal(Errno.ENOENT, missing.Errno);

        using var intruder = RpcChannel.ForAddress(host.Address, "wrong");
        var denied = await Assert.ThrowsAsync<RpcException>(() => intruder.UnaryAsync<Empty, StatfsReply>(MdsMethods.Statfs, new Empty()));
        Assert.Equal(StatusCode.Unauthenticated, denied.Status);
    }

    [Fact]
    public async Task Unlink_destroys_the_objects_on_the_ost_over_rpc()
    {
        var register = new RegisterOstRequest { Index = 0, Address = fakeOst.Address, Pool = "flash", Uuid = "u0", TotalBytes = 100, FreeBytes = 50 };
        await Call<RegisterOstRequest, Empty>(MdsMethods.RegisterOst, register);
        var clash = await Assert.ThrowsAsync<RpcException>(() => Call<RegisterOstRequest, Empty>(MdsMethods.RegisterOst, new RegisterOstRequest(register) { Uuid = "u1" }));
        Assert.Equal(StatusCode.FailedPrecondition, clash.Status);
        Assert.Equal(Errno.EEXIST, clash.Errno);

        var f = await Call<CreateRequest, CreateReply>(MdsMethods.Create, new CreateRequest { Parent = Root, Name = "f" });
        await Call<NameRequest, Empty>(MdsMethods.Unlink, new NameRequest { Parent = Root, Name = "f" });

        await WaitForAsync(() => !destroyed.IsEmpty, "the OST to receive Destroy");
        var obj = destroyed.Single();
        Assert.Equal(f.Attr.Fid, obj.Fid);
        Assert.Equal(f.Layout.Mirrors[0].Components[0].Id, obj.ComponentId);
        await WaitForAsync(() => host.Core.Model.Database.LoadOrphans().Count == 0, "the orphan row to go");
    }

    [Fact]
    public async Task Metrics_are_served_with_the_mds_instruments()
    {
        await Call<CreateRequest, CreateReply>(MdsMethods.Mkdir, new CreateRequest { Parent = Root, Name = "d" });
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(host.MetricsUri!, "/metrics"));
        Assert.Contains("mirror_mds_directories", text);
        Assert.Contains("mirror_mds_commit_batch_mutations", text);
    }
}
