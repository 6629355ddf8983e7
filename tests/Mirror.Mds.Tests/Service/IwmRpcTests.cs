using System.Threading.Channels;
using Google.Protobuf;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Mds.Locks;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;
using ProtoLockMode = Mirror.Protocol.Mds.LockMode;

namespace Mirror.Mds.Tests;

/// <summary>The IWM calls over the real Rpc layer, with fake clients that read their Callbacks stream.</summary>
public sealed class IwmRpcTests : IAsyncLifetime
{
    private TestMds mds = null!;
    private RpcServer server = null!;
    private RpcChannel channel = null!;

    public async Task InitializeAsync()
    {
        mds = await IwmBed.StartAsync();
        server = await RpcServer.StartAsync(new RpcServerOptions { MetricsPort = null }, [mds.Service.Build()]);
        channel = RpcChannel.ForAddress(server.Address!, null);
    }

    public async Task DisposeAsync()
    {
        channel.Dispose();
        await server.DisposeAsync();
        await mds.DisposeAsync();
    }

    [Fact]
    public async Task Error_report_reaches_the_other_writer_as_a_callback_on_its_stream_and_its_cancel_closes_the_epoch()
    {
        var fid = await mds.CreateIwmAsync("f", immediate: 3);
        await using var a = await FakeClient.ConnectAsync(channel, "a");
        await using var b = await FakeClient.ConnectAsync(channel, "b");

        var awA = await a.AwAsync(fid);
        var awB = await b.AwAsync(fid);
        Assert.Contains(awA.Layout.Mirrors, m => m.Id == 2 && (m.Flags & (uint)MirrorFlags.Inflight) != 0);
        Assert.Equal(awA.EpochId, awB.EpochId);

        await a.CancelAsync(awA.LockHandle, IwmBed.Lvb(2));
        var callback = await b.NextCallbackAsync();
        Assert.Equal(awB.LockHandle, callback.LockHandle);
        Assert.Equal((uint)LockBits.ActiveWriters, callback.Bits);
        Assert.Equal(ProtoLockMode.Ex, callback.BlockingMode);
        var listed = await Call<Empty, ListEpochsReply>(MdsMethods.ListEpochs, new Empty());
        Assert.Equal([b.Id], Assert.Single(listed.Epochs).WriterClientIds);
        Assert.Equal(0b100u, listed.Epochs[0].ErrorMask);

        await b.CancelAsync(awB.LockHandle, []);
        await TestMds.WaitForAsync(() => Call<Empty, ListEpochsReply>(MdsMethods.ListEpochs, new Empty()).Result.Epochs.Count == 0, "the close");

        var layout = await Call<FidRequest, LayoutReply>(MdsMethods.GetLayout, new FidRequest { Fid = fid });
        Assert.Equal([(uint)MirrorFlags.Immediate, (uint)MirrorFlags.Immediate, (uint)(MirrorFlags.Immediate | MirrorFlags.Stale)],
            layout.Layout.Mirrors.Select(m => m.Flags));
        Assert.True(layout.Layout.StateOnlyChange);
    }

    [Fact]
    public async Task Evicted_client_sees_evicted_on_ping_its_stream_ends_and_lock_calls_get_estale()
    {
        var fid = await mds.CreateIwmAsync("f", immediate: 2);
        await using var a = await FakeClient.ConnectAsync(channel, "a");
        Assert.False((await Call<PingRequest, PingReply>(MdsMethods.Ping, new PingRequest { ClientId = a.Id })).Evicted);

        await Call<EvictClientRequest, Empty>(MdsMethods.EvictClient, new EvictClientRequest { ClientId = a.Id });

        Assert.True((await Call<PingRequest, PingReply>(MdsMethods.Ping, new PingRequest { ClientId = a.Id })).Evicted);
        await a.StreamEnded.WaitAsync(TimeSpan.FromSeconds(10));
        var e = await Assert.ThrowsAsync<RpcException>(() => a.AwAsync(fid));
        Assert.Equal(Errno.ESTALE, e.Errno);
    }

    [Fact]
    public async Task Layout_holders_are_called_back_when_an_epoch_opens_and_may_refetch()
    {
        var fid = await mds.CreateIwmAsync("f", immediate: 2);
        await using var reader = await FakeClient.ConnectAsync(channel, "reader");
        await using var writer = await FakeClient.ConnectAsync(channel, "writer");
        var cached = await reader.EnqueueAsync(fid, LockBits.Layout, ProtoLockMode.Cr);

        var aw = await writer.AwAsync(fid);

        var callback = await reader.NextCallbackAsync();
        Assert.Equal(cached.LockHandle, callback.LockHandle);
        Assert.Equal((uint)LockBits.Layout, callback.Bits);
        Assert.Equal(aw.Layout.Generation, callback.LayoutGeneration);
        await reader.CancelAsync(cached.LockHandle, []);
        var again = await reader.EnqueueAsync(fid, LockBits.Layout, ProtoLockMode.Cr);
        Assert.Equal(cached.Layout.Generation + 1, again.Layout.Generation);
        Assert.True(again.Layout.StateOnlyChange);
    }

    private Task<TResp> Call<TReq, TResp>(string method, TReq request)
        where TReq : IMessage<TReq>
        where TResp : IMessage<TResp>, new() =>
        channel.UnaryAsync<TReq, TResp>(method, request, new CallOptions(Timeout: TimeSpan.FromSeconds(30)));

    /// <summary>A client that connects as IWM-aware and collects its Callbacks stream.</summary>
    private sealed class FakeClient : IAsyncDisposable
    {
        private readonly RpcChannel channel;
        private readonly Channel<LockCallback> received = Channel.CreateUnbounded<LockCallback>();
        private readonly CancellationTokenSource stop = new();

        private FakeClient(RpcChannel channel, ulong id)
        {
            this.channel = channel;
            Id = id;
            StreamEnded = Task.Run(ReadStreamAsync);
        }

        public ulong Id { get; }

        public Task StreamEnded { get; }

        public static async Task<FakeClient> ConnectAsync(RpcChannel channel, string uuid)
        {
            var reply = await channel.UnaryAsync<ConnectRequest, ConnectReply>(MdsMethods.Connect,
                new ConnectRequest { ClientUuid = uuid, IwmAware = true }, new CallOptions(Timeout: TimeSpan.FromSeconds(30)));
            return new FakeClient(channel, reply.ClientId);
        }

        public Task<LockEnqueueReply> AwAsync(FidMsg fid) => EnqueueAsync(fid, LockBits.ActiveWriters, ProtoLockMode.Cw);

        public Task<LockEnqueueReply> EnqueueAsync(FidMsg fid, LockBits bits, ProtoLockMode mode) =>
            channel.UnaryAsync<LockEnqueueRequest, LockEnqueueReply>(MdsMethods.LockEnqueue,
                new LockEnqueueRequest { ClientId = Id, Fid = fid, Bits = (uint)bits, Mode = mode }, new CallOptions(Timeout: TimeSpan.FromSeconds(30)));

        public Task CancelAsync(ulong handle, byte[] lvb) =>
            channel.UnaryAsync<LockCancelRequest, Empty>(MdsMethods.LockCancel,
                new LockCancelRequest { ClientId = Id, LockHandle = handle, Lvb = ByteString.CopyFrom(lvb) }, new CallOptions(Timeout: TimeSpan.FromSeconds(30)));

        public async Task<LockCallback> NextCallbackAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return await received.Reader.ReadAsync(timeout.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            try
            {
                await StreamEnded;
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException)
            {
            }
        }

        private async Task ReadStreamAsync()
        {
            try
            {
                await foreach (var callback in channel.ServerStreamingAsync<CallbacksRequest, LockCallback>(MdsMethods.Callbacks,
                    new CallbacksRequest { ClientId = Id }, new CallOptions(CancellationToken: stop.Token)))
                {
                    if (callback.LockHandle != 0) // 0: the stream's opening marker (mds.proto LockCallback.callback_seq)
                    {
                        await received.Writer.WriteAsync(callback);
                    }
                }
            }
            finally
            {
                received.Writer.TryComplete();
            }
        }
    }
}
