using Mirror.Protocol.Mds;

namespace Mirror.Mds.Tests;

/// <summary>Reply ordering on the MDS side (mds.proto LockCallback.callback_seq): callbacks numbered per client, the number stamped into lock replies.</summary>
public sealed class CallbackSeqTests
{
    [Fact]
    public async Task Replies_to_lock_calls_carry_the_number_of_the_last_callback_queued_to_the_client()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f");
        var client = await mds.ConnectAsync("c1");
        var other = await mds.ConnectAsync("c2");
        var layoutLock = await mds.LayoutLockAsync(client, fid);

        // The AW grant opens the epoch, a layout change: our own LAYOUT lock is called back before the reply.
        var grant = await mds.AwAsync(client, fid);
        var callback = await mds.NextCallbackAsync(client);
        var ping = await mds.Service.Ping(new PingRequest { ClientId = client });
        var otherPing = await mds.Service.Ping(new PingRequest { ClientId = other });

        Assert.Equal(0UL, layoutLock.CallbackSeq);
        Assert.Equal(layoutLock.LockHandle, callback.Lock.Handle);
        Assert.Equal(1UL, callback.Seq);
        Assert.Equal(1UL, grant.CallbackSeq);
        Assert.Equal(1UL, ping.CallbackSeq);
        Assert.Equal(0UL, otherPing.CallbackSeq); // numbered per client
    }

    [Fact]
    public async Task An_evicted_clients_ping_is_not_held_behind_callbacks()
    {
        await using var mds = await IwmBed.StartAsync();
        var fid = await mds.CreateIwmAsync("f");
        var client = await mds.ConnectAsync("c1");
        await mds.LayoutLockAsync(client, fid);
        await mds.AwAsync(client, fid);
        await mds.Core.Clients.EvictAsync(client, "test");

        var ping = await mds.Service.Ping(new PingRequest { ClientId = client });

        Assert.True(ping.Evicted);
        Assert.Equal(0UL, ping.CallbackSeq);
    }
}
