using Google.Protobuf;
using Mirror.Core.Errors;
using Mirror.Core.Faults;
using Mirror.Ost.Host;
using Mirror.Ost.Service;
using Mirror.Protocol;
using Mirror.Protocol.Ost;
using Mirror.Rpc;
using static Mirror.Ost.Tests.TestObjects;

namespace Mirror.Ost.Tests.Service;

[Collection(ServiceCollection.Name)]
public sealed class OstServiceTests : IDisposable
{
    private readonly TempDataDir dir = new();
    private OstTarget target;

    public OstServiceTests()
    {
        // A long interval: only Sync, sync writes and shutdown commit, so tests see uncommitted state.
        target = OstTarget.Open(3, dir.Path, TimeSpan.FromHours(1));
    }

    public void Dispose()
    {
        FaultPoints.ClearAll();
        target.Dispose();
        dir.Dispose();
    }

    [Fact]
    public async Task Write_reply_carries_a_transno_not_yet_committed_until_sync()
    {
        var reply = await Write(0, [1, 2, 3]);

        Assert.True(reply.Transno > reply.LastCommitted, $"transno {reply.Transno}, last_committed {reply.LastCommitted}");
        var sync = await target.Service.SyncAsync(new SyncRequest(), Context(OstMethods.Sync));
        Assert.True(sync.LastCommitted >= reply.Transno);
    }

    [Fact]
    public async Task Sync_covers_every_write_acknowledged_before_it()
    {
        var writes = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Write((ulong)i * 4096, Pattern(4096, i), stripe: (uint)(i % 3))));

        var sync = await target.Service.SyncAsync(new SyncRequest { Object = Id(FileA) }, Context(OstMethods.Sync));

        Assert.True(sync.LastCommitted >= writes.Max(w => w.Transno));
        Assert.Equal(sync.LastCommitted, new Mirror.Ost.Commit.LastCommittedFile(dir.Path).Load());
    }

    [Fact]
    public async Task Sync_write_reply_has_last_committed_at_least_its_transno()
    {
        var reply = await target.Service.WriteAsync(
            new WriteRequest { Object = Id(FileA), Offset = 0, Data = ByteString.CopyFrom(1, 2), Sync = true },
            Context(OstMethods.Write));

        Assert.True(reply.LastCommitted >= reply.Transno);
    }

    [Fact]
    public async Task Transnos_strictly_increase_across_operations()
    {
        var a = (await Write(0, [1])).Transno;
        var b = (await target.Service.PunchAsync(new PunchRequest { Object = Id(FileA), Offset = 0, Length = 1 }, Context(OstMethods.Punch))).Transno;
        var c = (await target.Service.SetAttrAsync(new SetAttrRequest { Object = Id(FileA), SetSize = true, Size = 9 }, Context(OstMethods.SetAttr))).Transno;
        var d = (await target.Service.DestroyFileAsync(new DestroyFileRequest { Fid = Id(FileA).Fid }, Context(OstMethods.DestroyFile))).Transno;

        Assert.True(a < b && b < c && c < d, $"{a} {b} {c} {d}");
    }

    [Fact]
    public async Task Restart_keeps_data_uuid_last_committed_and_continues_transnos_above_it()
    {
        var connect = await target.Service.ConnectAsync(new ConnectRequest { ClientUuid = "c1" }, Context(OstMethods.Connect));
        var written = await Write(100, [9, 8, 7], generation: 5);
        target.Dispose();

        target = OstTarget.Open(3, dir.Path, TimeSpan.FromHours(1));
        var again = await target.Service.ConnectAsync(new ConnectRequest { ClientUuid = "c1" }, Context(OstMethods.Connect));

        Assert.Equal(connect.OstUuid, again.OstUuid);
        Assert.NotEqual(connect.BootId, again.BootId);
        Assert.Equal(3u, again.OstIndex);
        Assert.True(again.LastCommitted >= written.Transno, "the shutdown commit was lost");
        var read = await target.Service.ReadAsync(new ReadRequest { Object = Id(FileA), Offset = 100, Length = 3 }, Context(OstMethods.Read));
        Assert.Equal(new byte[] { 9, 8, 7 }, read.Data.ToByteArray());
        Assert.True((await Write(0, [1], generation: 5)).Transno > again.LastCommitted);
    }

    [Fact]
    public async Task Layout_generation_survives_restart()
    {
        await Write(0, [1], generation: 5);
        target.Dispose();
        target = OstTarget.Open(3, dir.Path, TimeSpan.FromHours(1));

        var e = await Assert.ThrowsAsync<MirrorException>(() => Write(0, [2], generation: 4));

        Assert.Equal(Errno.ESTALE, e.Errno);
        Assert.Contains("generation 4 < 5", e.Message);
        var attr = await target.Service.GetAttrAsync(new GetAttrRequest { Object = Id(FileA) }, Context(OstMethods.GetAttr));
        Assert.Equal(5u, attr.LayoutGeneration);
    }

    [Fact]
    public async Task Write_fault_fails_with_eio_and_writes_nothing()
    {
        await target.Service.SetFaultAsync(new SetFaultRequest { Name = "ost.write", Action = "fail", Count = 1 }, Context(OstMethods.SetFault));
        var before = target.Journal.LastTransno;

        var e = await Assert.ThrowsAsync<MirrorException>(() => Write(0, [1, 2, 3]));

        Assert.Equal(Errno.EIO, e.Errno);
        Assert.Equal(before, target.Journal.LastTransno);
        Assert.False(target.Store.GetAttr(Key(FileA)).Exists);

        // The fault was armed for one hit: the retry goes through.
        Assert.True((await Write(0, [1, 2, 3])).Transno > before);
        Assert.True(target.Store.GetAttr(Key(FileA)).Exists);
    }

    [Fact]
    public async Task SetFault_refuses_an_unknown_action()
    {
        var e = await Assert.ThrowsAsync<MirrorException>(() => target.Service.SetFaultAsync(new SetFaultRequest { Name = "ost.write", Action = "explode" }, Context(OstMethods.SetFault)));
        Assert.Equal(Errno.EINVAL, e.Errno);
    }

    [Fact]
    public async Task Request_without_an_object_is_refused_with_einval()
    {
        var e = await Assert.ThrowsAsync<MirrorException>(() => target.Service.WriteAsync(new WriteRequest { Data = ByteString.CopyFrom(1) }, Context(OstMethods.Write)));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("no object", e.Message);
    }

    [Fact]
    public async Task Statfs_reports_space_objects_and_transnos()
    {
        await Write(0, [1], stripe: 0);
        await Write(0, [1], stripe: 1);

        var statfs = await target.Service.StatfsAsync(new Empty(), Context(OstMethods.Statfs));

        Assert.Equal(2UL, statfs.Objects);
        Assert.True(statfs.TotalBytes > 0 && statfs.FreeBytes <= statfs.TotalBytes);
        Assert.Equal(target.Journal.LastTransno, statfs.LastTransno);
    }

    [Fact]
    public void Builder_registers_every_ost_method()
    {
        var builder = target.Service.Build();

        var expected = typeof(OstMethods).GetFields()
            .Where(f => f.Name != nameof(OstMethods.Service))
            .Select(f => (string)f.GetValue(null)!)
            .Order();
        Assert.Equal(OstMethods.Service, builder.ServiceName);
        Assert.Equal(expected, builder.Methods.Select(m => m.FullName).Order());
    }

    [Fact]
    public void A_second_target_on_the_same_data_dir_is_refused_clearly()
    {
        var e = Assert.Throws<MirrorException>(() => OstTarget.Open(3, dir.Path, TimeSpan.FromSeconds(1)));

        Assert.Equal(Errno.EBUSY, e.Errno);
        Assert.Contains("in use by another OST", e.Message);
        Assert.True(e.Message.Contains($"pid {Environment.ProcessId}", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void A_data_dir_of_another_index_is_refused()
    {
        target.Dispose();

        var e = Assert.Throws<MirrorException>(() => OstTarget.Open(4, dir.Path, TimeSpan.FromSeconds(1)));

        Assert.Contains("belongs to OST index 3, not 4", e.Message);
        target = OstTarget.Open(3, dir.Path, TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task Read_replies_from_a_pooled_buffer_short_at_the_end_and_the_release_hook_takes_it_back()
    {
        var data = new byte[300_000];
        new Random(7).NextBytes(data);
        await Write(0, data);

        var whole = await target.Service.ReadAsync(new ReadRequest { Object = Id(FileA), Offset = 0, Length = (uint)data.Length }, Context(OstMethods.Read));
        var tail = await target.Service.ReadAsync(new ReadRequest { Object = Id(FileA), Offset = 299_000, Length = 1 << 20 }, Context(OstMethods.Read));
        var past = await target.Service.ReadAsync(new ReadRequest { Object = Id(FileA), Offset = 400_000, Length = 4096 }, Context(OstMethods.Read));
        var missing = await target.Service.ReadAsync(new ReadRequest { Object = Id(FileB), Offset = 0, Length = 4096 }, Context(OstMethods.Read));

        Assert.Equal(data, whole.Data.ToByteArray());
        Assert.Equal(data[299_000..], tail.Data.ToByteArray());
        Assert.Equal((0, 300_000UL, true), (past.Data.Length, past.ObjectSize, past.Exists));
        Assert.False(missing.Exists);
        foreach (var reply in new[] { whole, tail, past, missing })
        {
            OstService.ReturnReadBuffer(reply); // what the RPC layer calls once the reply is serialized
        }
    }

    private Task<WriteReply> Write(ulong offset, byte[] data, uint generation = 0, uint stripe = 0) =>
        target.Service.WriteAsync(
            new WriteRequest { Object = Id(FileA, 0, stripe), Offset = offset, Data = ByteString.CopyFrom(data), LayoutGeneration = generation },
            Context(OstMethods.Write));
}
