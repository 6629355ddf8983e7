using Mirror.Client.Metadata;
using Mirror.Core.Faults;
using Mirror.Core.Layouts;
using Mirror.Mds.Service;
using Mirror.Protocol.Mds;
using static Mirror.Client.Tests.Cluster.ClusterFileTests;

namespace Mirror.Client.Tests.Cluster;

/// <summary>
/// Reply ordering (mds.proto LockCallback.callback_seq, Metadata/CallbackOrder) against a real MdsHost: a
/// reply to a lock call, even one on the bulk channel, returns only after the client handled the callbacks
/// the MDS sent before it. In the fault-point collection because "mds.callback.stream" is process-wide.
/// </summary>
[Collection("ClientFaultPoints")]
public sealed class CallbackOrderTests
{
    private const uint M = 1024 * 1024;

    [Fact]
    public async Task A_layout_intent_reply_returns_after_the_layout_callback_it_caused_even_when_the_stream_is_late()
    {
        await using var cluster = await TestCluster.StartAsync("", "");
        await using var client = await cluster.ConnectAsync(TestCluster.ClientOptions with
        {
            Mds = new MdsClientOptions { RetryDeadline = TimeSpan.FromSeconds(2), UseBulk = true },
        });
        await (await client.CreateAsync("/f", Spec((1, M, [0], MirrorFlags.None), (1, M, [1], MirrorFlags.None)), exclusive: true)).DisposeAsync();
        var fid = (await client.StatAsync("/f")).Fid;
        await client.Locks!.LayoutAsync(fid);
        var locks = client.Locks.For(fid);
        var held = locks.LayoutHandle;
        await WaitAsync(() => client.Lease!.StreamOpen);
        Assert.NotNull(((MdsBulkInvoker)client.Mds.Invoker).BulkAddress);
        Assert.NotEqual(0UL, held);

        // The write intent stales the secondary: a layout change that calls back our LAYOUT lock before the
        // reply. The callback is held back on the stream; the reply, on the bulk channel, must wait for it.
        FaultPoints.Set(MdsService.CallbackStreamFault, new FaultSpec(FaultAction.Delay, 1500, Remaining: 1));
        try
        {
            var result = await client.Mds.LayoutIntentAsync(fid, LayoutIntentOp.IntentWrite);

            Assert.Equal(FlrState.WritePending, result.Layout.State);
            Assert.Equal(0UL, locks.LayoutHandle);
            Assert.True(client.Mds.CallbackOrder.HandledSeq >= 1);
        }
        finally
        {
            FaultPoints.Clear(MdsService.CallbackStreamFault);
        }

        var fresh = await client.Locks.LayoutAsync(fid);
        Assert.Equal(FlrState.WritePending, fresh.State);
        Assert.NotEqual(held, locks.LayoutHandle);
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(20);
        }
    }
}
