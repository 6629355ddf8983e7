using Google.Protobuf;
using Mirror.Cluster.Tests.Harness;
using Mirror.Core.Errors;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Protocol.Ost;
using Mirror.Rpc;
using static Mirror.Cluster.Tests.Iwm.IwmSupport;

namespace Mirror.Cluster.Tests.Iwm;

/// <summary>
/// IWM §2.2.6 with real processes: a writer evicted while it can still reach the OSTs must not land a late
/// write after its epoch closed. The MDS fences every object of the file on every OST at the close generation
/// (ost.proto Fence) before the close is final; the late write (the evicted client's, with its old layout
/// generation) is refused with ESTALE.
/// </summary>
public sealed class FencingTests
{
    [Fact]
    public async Task A_late_write_of_an_evicted_writer_is_refused_and_the_primary_keeps_its_bytes()
    {
        await using var cluster = await IwmCluster.StartAsync();
        await using var writer = await cluster.ConnectAsync(IwmCluster.ClientOptions(idleRelease: TimeSpan.FromSeconds(30)));
        await using var reader = await cluster.ConnectAsync();
        const string path = "/evicted-late-write";
        var data = Data(M, 41);
        uint oldGeneration;
        Mirror.Core.Fid fid;
        await using (var file = await writer.CreateAsync(path, ThreeImmediate(), exclusive: true))
        {
            await file.WriteAsync(0, data);
            await file.FsyncAsync(); // acknowledged; the writer keeps its AW lock (30 s idle release)
            oldGeneration = file.Layout.Generation;
            fid = file.Fid;
            Assert.True(file.Layout.Mirrors.Any(m => m.IsInflight), "the writer's epoch is open");

            using (var mds = RpcChannel.ForAddress(cluster.MdsAddress, cluster.Token))
            {
                await mds.UnaryAsync<EvictClientRequest, Empty>(MdsMethods.EvictClient, new EvictClientRequest { ClientId = writer.Mds.ClientId }, new CallOptions(Timeout: TimeSpan.FromSeconds(10)));
            }

            var closed = await cluster.WaitForCloseAsync(reader, path);
            Assert.True(closed.Generation > oldGeneration, IwmCluster.Describe(closed));
            Assert.True(closed.Mirror(1)!.IsReadable && closed.Mirror(2)!.IsStale && closed.Mirror(3)!.IsStale, IwmCluster.Describe(closed));

            // What the evicted writer still had in flight: a write to the primary's object (mirror 1, OST 0) with its old layout.
            var component = closed.Mirror(1)!.Components[0];
            using var ost = RpcChannel.ForAddress(cluster.OstAddress(0), cluster.Token);
            var late = new WriteRequest
            {
                Object = new ObjectId { Fid = LayoutConversion.ToMsg(fid), ComponentId = component.Id, StripeIndex = 0 },
                Offset = 0,
                Data = ByteString.CopyFrom(new byte[4096]),
                LayoutGeneration = oldGeneration,
            };
            var refused = await Assert.ThrowsAsync<RpcException>(() => ost.UnaryAsync<WriteRequest, WriteReply>(OstMethods.Write, late, new CallOptions(Timeout: TimeSpan.FromSeconds(10))));
            Assert.Equal(Errno.ESTALE, refused.Errno);
        }

        Assert.Equal(data, await ReadAllAsync(reader, path)); // the primary's bytes are unchanged
        await ResyncAndVerifyAllAsync(cluster, reader, path);
        Assert.Equal(data, await ReadAllAsync(reader, path));
    }
}
