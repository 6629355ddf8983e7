using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Mirror.Core.Errors;
using Mirror.Ost.Host;
using Mirror.Protocol;
using Mirror.Protocol.Ost;
using Mirror.Rpc;
using static Mirror.Ost.Tests.TestObjects;
using Empty = Mirror.Protocol.Empty;
using MdsMethods = Mirror.Protocol.MdsMethods;
using RegisterOstRequest = Mirror.Protocol.Mds.RegisterOstRequest;

namespace Mirror.Ost.Tests.Host;

[Collection(ServiceCollection.Name)]
public sealed class OstHostTests : IDisposable
{
    private const string Token = "cluster-secret";
    private static readonly CallOptions Call = new(Timeout: TimeSpan.FromSeconds(30));

    private readonly TempDataDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task Write_read_and_sync_over_rpc_with_the_token()
    {
        await using var host = await OstHost.StartAsync(Options(), CancellationToken.None);
        using var channel = RpcChannel.ForAddress(host.Address, Token);

        var connect = await channel.UnaryAsync<ConnectRequest, ConnectReply>(OstMethods.Connect, new ConnectRequest { ClientUuid = "client-1" }, Call);
        var data = Pattern(1 << 20, 7);
        var write = await channel.UnaryAsync<WriteRequest, WriteReply>(
            OstMethods.Write,
            new WriteRequest { Object = Id(FileA, 0, 1), Offset = 0, Data = ByteString.CopyFrom(data), LayoutGeneration = 2 },
            Call);
        var read = await channel.UnaryAsync<ReadRequest, ReadReply>(
            OstMethods.Read,
            new ReadRequest { Object = Id(FileA, 0, 1), Offset = 0, Length = (uint)data.Length + 10, LayoutGeneration = 2 },
            Call);
        var sync = await channel.UnaryAsync<SyncRequest, SyncReply>(OstMethods.Sync, new SyncRequest(), Call);

        Assert.Equal(2u, connect.OstIndex);
        Assert.Equal(host.Uuid, connect.OstUuid);
        Assert.Equal(data, read.Data.ToByteArray());
        Assert.Equal((ulong)data.Length, read.ObjectSize);
        Assert.True(sync.LastCommitted >= write.Transno);
    }

    [Fact]
    public async Task Errors_cross_the_wire_with_their_errno()
    {
        await using var host = await OstHost.StartAsync(Options(), CancellationToken.None);
        using var channel = RpcChannel.ForAddress(host.Address, Token);
        await channel.UnaryAsync<WriteRequest, WriteReply>(OstMethods.Write, new WriteRequest { Object = Id(FileA), Data = ByteString.CopyFrom(1), LayoutGeneration = 5 }, Call);

        var e = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<WriteRequest, WriteReply>(
            OstMethods.Write,
            new WriteRequest { Object = Id(FileA), Data = ByteString.CopyFrom(2), LayoutGeneration = 4 },
            Call));

        Assert.Equal(Errno.ESTALE, e.Errno);
        Assert.Contains("generation 4 < 5", e.Message);
    }

    [Fact]
    public async Task A_call_without_the_token_is_refused()
    {
        await using var host = await OstHost.StartAsync(Options(), CancellationToken.None);
        using var channel = RpcChannel.ForAddress(host.Address, token: null);

        var e = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<WriteRequest, WriteReply>(
            OstMethods.Write,
            new WriteRequest { Object = Id(FileA), Data = ByteString.CopyFrom(1) },
            Call));

        Assert.Equal(StatusCode.Unauthenticated, e.Status);
        Assert.False(host.Target.Store.GetAttr(Key(FileA)).Exists);
    }

    [Fact]
    public async Task A_second_host_on_the_same_data_dir_fails_with_a_clear_message()
    {
        await using var first = await OstHost.StartAsync(Options(), CancellationToken.None);

        var e = await Assert.ThrowsAsync<MirrorException>(() => OstHost.StartAsync(Options(), CancellationToken.None));

        Assert.Equal(Errno.EBUSY, e.Errno);
        Assert.Contains("in use by another OST", e.Message);
        using var channel = RpcChannel.ForAddress(first.Address, Token);
        await channel.UnaryAsync<Empty, StatfsReply>(OstMethods.Statfs, new Empty(), Call);
    }

    [Fact]
    public async Task Restarted_host_keeps_uuid_and_last_committed()
    {
        ulong transno;
        string uuid;
        await using (var host = await OstHost.StartAsync(Options(), CancellationToken.None))
        {
            using var channel = RpcChannel.ForAddress(host.Address, Token);
            transno = (await channel.UnaryAsync<WriteRequest, WriteReply>(OstMethods.Write, new WriteRequest { Object = Id(FileA), Data = ByteString.CopyFrom(1, 2) }, Call)).Transno;
            uuid = host.Uuid;
        }

        await using var again = await OstHost.StartAsync(Options(), CancellationToken.None);
        using var channel2 = RpcChannel.ForAddress(again.Address, Token);
        var connect = await channel2.UnaryAsync<ConnectRequest, ConnectReply>(OstMethods.Connect, new ConnectRequest(), Call);

        Assert.Equal(uuid, connect.OstUuid);
        Assert.True(connect.LastCommitted >= transno);
    }

    [Fact]
    public async Task Heartbeat_registers_with_the_mds_repeatedly()
    {
        var calls = new ConcurrentQueue<RegisterOstRequest>();
        await using var mds = await FakeMds(calls, port: 0);
        await using var host = await OstHost.StartAsync(Options(mds.Address!), CancellationToken.None);

        await WaitUntilAsync(() => calls.Count >= 2, TimeSpan.FromSeconds(30), "two RegisterOst calls");

        // The fake MDS checks the token too, so these calls also prove the heartbeat carries it.
        var request = calls.First();
        Assert.Equal(2u, request.Index);
        Assert.Equal(host.Address, request.Address);
        Assert.Equal("flash", request.Pool);
        Assert.Equal(["ssd", "fast"], request.Labels);
        Assert.Equal("rack1", request.FailureDomain);
        Assert.Equal(host.Uuid, request.Uuid);
        Assert.True(request.TotalBytes > 0 && request.FreeBytes <= request.TotalBytes);
    }

    [Fact]
    public async Task Heartbeat_survives_an_mds_that_is_down_at_first()
    {
        var port = FreePort();
        await using var host = await OstHost.StartAsync(Options($"127.0.0.1:{port}"), CancellationToken.None);
        Assert.Equal(0, host.HeartbeatsAcknowledged);

        // The OST serves while its MDS is unreachable.
        using var channel = RpcChannel.ForAddress(host.Address, Token);
        await channel.UnaryAsync<Empty, StatfsReply>(OstMethods.Statfs, new Empty(), Call);

        var calls = new ConcurrentQueue<RegisterOstRequest>();
        await using var mds = await FakeMds(calls, port);

        await WaitUntilAsync(() => host.HeartbeatsAcknowledged >= 1, TimeSpan.FromSeconds(30), "an acknowledged RegisterOst after the MDS came up");
        Assert.Equal(host.Uuid, calls.First().Uuid);
    }

    [Fact]
    public async Task Metrics_endpoint_serves_the_ost_instruments()
    {
        await using var host = await OstHost.StartAsync(Options(), CancellationToken.None);
        using var channel = RpcChannel.ForAddress(host.Address, Token);
        await channel.UnaryAsync<WriteRequest, WriteReply>(OstMethods.Write, new WriteRequest { Object = Id(FileA), Data = ByteString.CopyFrom(1), Sync = true }, Call);

        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(host.MetricsUri!, "/metrics"));

        Assert.Contains("mirror_ost_last_committed{ost=\"2\"}", text);
        Assert.Contains("mirror_ost_commit_lag_transnos{ost=\"2\"}", text);
        Assert.Contains("mirror_ost_write_bytes_total{ost=\"2\"}", text);
        Assert.Contains("mirror_ost_commit_batch_seconds_bucket", text);
    }

    private OstHostOptions Options(string? mdsAddress = null) => new()
    {
        Index = 2,
        DataDir = dir.Path,
        MdsAddress = mdsAddress,
        Pool = "flash",
        Labels = ["ssd", "fast"],
        FailureDomain = "rack1",
        Token = Token,
        CommitInterval = TimeSpan.FromMilliseconds(200),
        HeartbeatInterval = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>A stand-in MDS serving only RegisterOst, recording each call.</summary>
    private static Task<RpcServer> FakeMds(ConcurrentQueue<RegisterOstRequest> calls, int port) =>
        RpcServer.StartAsync(
            new RpcServerOptions { Port = port, Token = Token, MetricsPort = null },
            [
                new RpcServiceBuilder(MdsMethods.Service).Unary<RegisterOstRequest, Empty>(MdsMethods.RegisterOst, (request, context) =>
                {
                    calls.Enqueue(request);
                    return Task.FromResult(new Empty());
                }),
            ]);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
