using Mirror.Client.Tests.Fakes;
using Mirror.Core.Errors;

namespace Mirror.Client.Tests.Files;

/// <summary>
/// MirrorFile.WriteOwnedAsync: the handle keeps the caller's buffer (the FUSE request buffer) instead of copying
/// it, and gives it back exactly once, only after every OST written has answered.
/// </summary>
public class OwnedWriteTests : IwmTestBase
{
    [Fact]
    public async Task The_buffer_is_not_given_back_before_every_OST_acknowledged_the_write()
    {
        var (client, mds) = await ClientAsync();
        await using var file = await client.OpenAsync("/f");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Osts[2].WriteGate = gate; // mirror 3's OST holds its acknowledgement
        var data = Data(200_000, 1);
        var owner = new TrackingOwner();

        await file.WriteOwnedAsync(0, data, owner); // write-behind: queued, not yet acknowledged
        await WaitUntilAsync(() => Osts[0].Writes > 0 && Osts[1].Writes > 0, "the primary and mirror 2 wrote");

        Assert.Equal(0, owner.Disposals);
        gate.SetResult();
        await file.FsyncAsync();
        Assert.Equal(1, owner.Disposals);
        Assert.Equal(data, ObjectBytes(mds.Layout, 3)[..data.Length]); // the OST got the caller's bytes
    }

    [Fact]
    public async Task The_bytes_the_OSTs_hold_are_the_callers_without_a_copy_being_needed()
    {
        var (client, _) = await ClientAsync();
        await using var file = await client.OpenAsync("/f");
        var data = Data(150_000, 2);
        var owner = new TrackingOwner();

        await file.WriteOwnedAsync(4096, data, owner);
        await file.FsyncAsync();

        var back = new byte[data.Length];
        Assert.Equal(data.Length, await file.ReadAsync(4096, back));
        Assert.Equal(data, back);
        Assert.Equal(1, owner.Disposals);
    }

    [Fact]
    public async Task A_failed_OST_write_still_reports_at_fsync_and_the_buffer_goes_back_once()
    {
        var (client, _) = await ClientAsync();
        var file = await client.OpenAsync("/f");
        foreach (var i in new[] { 0, 1, 2 }) // every mirror's OST
        {
            Osts[i].Fault = new MirrorException(Errno.EIO, $"OST{i} gone");
        }

        var owner = new TrackingOwner();
        await file.WriteOwnedAsync(0, Data(100_000, 3), owner); // the error surfaces later (IWM: at fsync/close)

        var e = await Assert.ThrowsAsync<MirrorException>(() => file.FsyncAsync());
        Assert.Equal(Errno.EIO, e.Errno);
        Assert.Equal(1, owner.Disposals);
        Assert.Equal(Errno.EIO, (await Assert.ThrowsAsync<MirrorException>(() => file.CloseAsync())).Errno);
    }

    [Fact]
    public async Task A_write_refused_before_it_is_queued_gives_the_buffer_back_at_once()
    {
        var (client, _) = await ClientAsync();
        var file = await client.OpenAsync("/f");
        await file.CloseAsync();
        var owner = new TrackingOwner();

        var e = await Assert.ThrowsAsync<MirrorException>(() => file.WriteOwnedAsync(0, Data(10, 4), owner));

        Assert.Equal(Errno.EBADF, e.Errno);
        Assert.Equal(1, owner.Disposals);
    }

    [Fact]
    public async Task An_earlier_write_error_refuses_the_next_owned_write_and_gives_its_buffer_back()
    {
        var (client, _) = await ClientAsync();
        var file = await client.OpenAsync("/f");
        foreach (var i in new[] { 0, 1, 2 }) // every mirror's OST
        {
            Osts[i].Fault = new MirrorException(Errno.EIO, $"OST{i} gone");
        }

        var first = new TrackingOwner();
        await file.WriteOwnedAsync(0, Data(1000, 5), first);
        await WaitUntilAsync(() => first.Disposals == 1, "the failed write ended");
        var second = new TrackingOwner();

        await Assert.ThrowsAsync<MirrorException>(() => file.WriteOwnedAsync(1000, Data(1000, 6), second));

        Assert.Equal(1, second.Disposals);
    }

    private sealed class TrackingOwner : IDisposable
    {
        private int disposals;

        public int Disposals => Volatile.Read(ref disposals);

        public void Dispose() => Interlocked.Increment(ref disposals);
    }
}
