using Mirror.Client.Targets;
using Mirror.Client.Tests.Fakes;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Protocol;
using Mirror.Protocol.Ost;
using Mirror.Rpc;

namespace Mirror.Client.Tests.Targets;

public class OstTargetTests
{
    private static readonly ObjectId Obj = OstTargetExtensions.ObjectFor(new Fid(0x200000401, 1, 0), new Mirror.Core.Layouts.LayoutComponent { Id = 1, Start = 0, End = ulong.MaxValue, StripeCount = 1, StripeSize = 65536 }, 0);

    /// <summary>An OST peer at one address: boot id, transno counter, optionally down.</summary>
    private sealed class Peer(string address, string bootId)
    {
        public bool Down { get; set; }

        public ulong Transno { get; set; }

        public ulong Committed { get; set; }

        public FakeRpc Rpc() => new FakeRpc(address)
            .On<ConnectRequest, ConnectReply>(OstMethods.Connect, _ => Down ? throw Refused() : new ConnectReply { BootId = bootId, LastCommitted = Committed })
            .On<WriteRequest, WriteReply>(OstMethods.Write, _ => Down ? throw Refused() : new WriteReply { Transno = ++Transno, LastCommitted = Committed })
            .On<SyncRequest, SyncReply>(OstMethods.Sync, _ => new SyncReply { LastCommitted = Committed = Transno });

        private RpcException Refused() => new(StatusCode.Unavailable, $"{address}: connection refused");
    }

    [Fact]
    public async Task An_unreachable_ost_is_looked_up_again_and_the_call_retried_on_its_new_address()
    {
        var old = new Peer("127.0.0.1:1000", "boot-1");
        var moved = new Peer("127.0.0.1:2000", "boot-1");
        var registry = "127.0.0.1:1000";
        var connects = new List<string>();
        var target = new OstTarget(3, registry, (_, _) => Task.FromResult<string?>(registry), address =>
        {
            connects.Add(address);
            return address == "127.0.0.1:1000" ? old.Rpc() : moved.Rpc();
        }, "client-1");

        await target.WriteAsync(Obj, 0, new byte[4], 1, false);
        old.Down = true;
        registry = "127.0.0.1:2000";
        var reply = await target.WriteAsync(Obj, 4, new byte[4], 1, false);

        Assert.Equal(1UL, reply.Transno);
        Assert.Equal("127.0.0.1:2000", target.Address);
        Assert.Equal(new[] { "127.0.0.1:1000", "127.0.0.1:2000" }, connects);
    }

    [Fact]
    public async Task A_dead_ost_fails_after_one_retry_with_an_errno_naming_the_ost()
    {
        var peer = new Peer("127.0.0.1:1000", "b") { Down = false };
        var target = new OstTarget(5, "127.0.0.1:1000", (_, _) => Task.FromResult<string?>("127.0.0.1:1000"), _ => peer.Rpc(), "c");
        await target.WriteAsync(Obj, 0, new byte[1], 1, false);
        peer.Down = true;

        var e = await Assert.ThrowsAsync<MirrorException>(() => target.WriteAsync(Obj, 0, new byte[1], 1, false));

        Assert.Equal(Errno.EHOSTUNREACH, e.Errno);
        Assert.Contains("OST5", e.Message);
    }

    [Fact]
    public async Task Transno_and_last_committed_are_tracked_and_sync_only_when_needed()
    {
        var peer = new Peer("a:1", "b");
        var rpc = peer.Rpc();
        var target = new OstTarget(0, "a:1", (_, _) => Task.FromResult<string?>("a:1"), _ => rpc, "c");

        await target.WriteAsync(Obj, 0, new byte[1], 1, false);
        await target.WriteAsync(Obj, 1, new byte[1], 1, false);
        Assert.Equal(2UL, target.HighestTransno);
        Assert.False(target.AllCommitted());

        await target.SyncIfNeededAsync();
        Assert.True(target.AllCommitted());
        await target.SyncIfNeededAsync();

        Assert.Single(rpc.Calls, OstMethods.Sync);
    }

    [Fact]
    public async Task A_restart_with_uncommitted_writes_is_noticed()
    {
        var before = new Peer("a:1", "boot-1");
        var after = new Peer("a:1", "boot-2");
        var restarted = false;
        var target = new OstTarget(0, "a:1", (_, _) => Task.FromResult<string?>("a:1"), _ => restarted ? after.Rpc() : before.Rpc(), "c");
        await target.WriteAsync(Obj, 0, new byte[1], 1, false);
        before.Down = true;
        restarted = true;

        await target.WriteAsync(Obj, 0, new byte[1], 1, false);

        Assert.True(target.LostUncommittedWrites);
        Assert.Equal("boot-2", target.BootId);
    }

    [Fact]
    public async Task After_a_restart_old_boot_writes_count_as_committed_only_up_to_the_new_process_durable_last_committed()
    {
        var before = new Peer("a:1", "boot-1");
        var after = new Peer("a:1", "boot-2");
        var restarted = false;
        var target = new OstTarget(0, "a:1", (_, _) => Task.FromResult<string?>("a:1"), _ => restarted ? after.Rpc() : before.Rpc(), "c");
        await target.WriteAsync(Obj, 0, new byte[1], 1, false);
        await target.SyncAsync();
        var committed = target.Watermark();
        await target.WriteAsync(Obj, 1, new byte[1], 1, false);
        var lost = target.Watermark();
        Assert.Equal(("boot-1", 1UL), committed);
        Assert.Equal(("boot-1", 2UL), lost);

        before.Down = true;
        restarted = true;
        after.Committed = after.Transno = 1; // the new process found transno 1 durable, 2 was lost
        await target.WriteAsync(Obj, 2, new byte[1], 1, false);

        Assert.True(target.IsCommitted(committed.Boot, committed.Transno));
        Assert.False(target.IsCommitted(lost.Boot, lost.Transno));
        Assert.Equal(("boot-2", 2UL), target.Watermark()); // numbered on from the new process's last_committed
        Assert.False(target.IsCommitted("boot-2", 2));
    }

    [Fact]
    public async Task Write_and_read_go_over_the_bulk_channel_the_ost_offers_and_the_rest_over_grpc()
    {
        var peer = new Peer("a:1", "b");
        var rpc = peer.Rpc().On<ConnectRequest, ConnectReply>(OstMethods.Connect, _ => new ConnectReply { BootId = "b", BulkAddress = "a:2" });
        var bulk = new FakeRpc("a:2")
            .On<WriteRequest, WriteReply>(OstMethods.Write, _ => new WriteReply { Transno = 1 })
            .On<ReadRequest, ReadReply>(OstMethods.Read, r => new ReadReply { Exists = true, ObjectSize = r.Length });
        var bulkAddresses = new List<string>();
        var target = new OstTarget(0, "a:1", (_, _) => Task.FromResult<string?>("a:1"), _ => rpc, "c", connectBulk: address =>
        {
            bulkAddresses.Add(address);
            return bulk;
        });

        await target.WriteAsync(Obj, 0, new byte[1], 1, false);
        await target.ReadAsync(Obj, 0, 7, 1);
        await target.SyncAsync();

        Assert.Equal(["a:2"], bulkAddresses);
        Assert.Equal("a:2", target.BulkAddress);
        Assert.Equal([OstMethods.Write, OstMethods.Read], bulk.Calls);
        Assert.Equal([OstMethods.Connect, OstMethods.Sync], rpc.Calls);
    }

    [Fact]
    public async Task A_bulk_call_that_fails_as_unreachable_is_retried_over_grpc()
    {
        var peer = new Peer("a:1", "b");
        var rpc = peer.Rpc().On<ConnectRequest, ConnectReply>(OstMethods.Connect, _ => new ConnectReply { BootId = "b", BulkAddress = "a:2" });
        var bulk = new FakeRpc("a:2").On<WriteRequest, WriteReply>(OstMethods.Write, _ => throw new RpcException(StatusCode.Unavailable, "a:2: connection refused"));
        var target = new OstTarget(0, "a:1", (_, _) => Task.FromResult<string?>("a:1"), _ => rpc, "c", connectBulk: _ => bulk);

        var reply = await target.WriteAsync(Obj, 0, new byte[1], 1, false);

        Assert.Equal(1UL, reply.Transno);
        Assert.Single(bulk.Calls, OstMethods.Write);
        Assert.Contains(OstMethods.Write, rpc.Calls);
    }
}
