using Google.Protobuf;
using Mirror.Ost.Host;
using Mirror.Protocol;
using Mirror.Protocol.Ost;
using Mirror.Rpc;
using static Mirror.Ost.Tests.TestObjects;

namespace Mirror.Ost.Tests.Host;

/// <summary>Real OST processes killed with writes in flight (ARCHITECTURE §4 invariants 4 and 8).</summary>
[Collection(ServiceCollection.Name)]
public sealed class OstCrashTests : IDisposable
{
    private const string Token = "crash-token";
    private static readonly CallOptions Call = new(Timeout: TimeSpan.FromSeconds(30));
    private readonly TempDataDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task Crash_in_the_commit_thread_leaves_last_committed_below_the_unsynced_write()
    {
        ulong committedBefore;
        ulong unsynced;
        string bootId;
        using (var ost = await OstProcess.StartAsync(dir.Path, 1, Token))
        {
            using var channel = RpcChannel.ForAddress(ost.Address, Token);
            bootId = (await channel.UnaryAsync<ConnectRequest, ConnectReply>(OstMethods.Connect, new ConnectRequest(), Call)).BootId;
            await channel.UnaryAsync<WriteRequest, WriteReply>(OstMethods.Write, Write(0, 1), Call);
            committedBefore = (await channel.UnaryAsync<SyncRequest, SyncReply>(OstMethods.Sync, new SyncRequest(), Call)).LastCommitted;
            unsynced = (await channel.UnaryAsync<WriteRequest, WriteReply>(OstMethods.Write, Write(4096, 2), Call)).Transno;
            await channel.UnaryAsync<SetFaultRequest, SetFaultReply>(OstMethods.SetFault, new SetFaultRequest { Name = "ost.commit", Action = "crash" }, Call);

            // The Sync wakes the commit thread, which dies at "ost.commit" before any fsync.
            await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<SyncRequest, SyncReply>(OstMethods.Sync, new SyncRequest(), Call));
            Assert.True(await ost.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the OST did not crash");
        }

        using var target = OstTarget.Open(1, dir.Path, TimeSpan.FromHours(1));
        var connect = await target.Service.ConnectAsync(new ConnectRequest(), Context(OstMethods.Connect));

        Assert.True(unsynced > committedBefore);
        Assert.Equal(committedBefore, connect.LastCommitted);
        Assert.NotEqual(bootId, connect.BootId);

        // Transnos continue right above last_committed: the lost one may be given out again, and the
        // new boot_id is what tells a client its unsynced writes are in doubt.
        Assert.Equal(committedBefore + 1, target.Journal.Record());
    }

    [Fact]
    public async Task Killed_ost_keeps_every_synced_write()
    {
        ulong transno;
        using (var ost = await OstProcess.StartAsync(dir.Path, 1, Token))
        {
            using var channel = RpcChannel.ForAddress(ost.Address, Token);
            var request = Write(8192, 3);
            request.Sync = true;
            var reply = await channel.UnaryAsync<WriteRequest, WriteReply>(OstMethods.Write, request, Call);
            Assert.True(reply.LastCommitted >= reply.Transno);
            transno = reply.Transno;
            ost.Kill();
            Assert.True(await ost.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        // The kernel dropped the dead OST's flock: a new one opens the dir at once.
        using var target = OstTarget.Open(1, dir.Path, TimeSpan.FromHours(1));
        Assert.True(target.Journal.LastCommitted >= transno);
        Assert.Equal(Pattern(4096, 3), target.Store.Read(Key(FileA), 8192, 4096, 0).Data);
        Assert.Equal(target.Journal.LastCommitted + 1, target.Journal.Record());
    }

    private static WriteRequest Write(ulong offset, int seed) =>
        new() { Object = Id(FileA), Offset = offset, Data = ByteString.CopyFrom(Pattern(4096, seed)) };
}
