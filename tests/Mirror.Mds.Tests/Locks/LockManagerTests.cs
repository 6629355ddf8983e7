using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Mds.Locks;

namespace Mirror.Mds.Tests;

public sealed class LockManagerTests
{
    private static readonly Fid File = new(0x200000400UL, 7, 0);
    private readonly List<BlockingCallback> callbacks = [];
    private long now = 1_000_000_000;

    private LockManager NewManager()
    {
        var manager = new LockManager(() => now);
        manager.CallbackSink = callbacks.Add;
        return manager;
    }

    [Theory]
    [InlineData(LockMode.CR, LockMode.CR, true)]
    [InlineData(LockMode.CR, LockMode.CW, true)]
    [InlineData(LockMode.CW, LockMode.CR, true)]
    [InlineData(LockMode.CW, LockMode.CW, true)]
    [InlineData(LockMode.CR, LockMode.EX, false)]
    [InlineData(LockMode.CW, LockMode.EX, false)]
    [InlineData(LockMode.EX, LockMode.CR, false)]
    [InlineData(LockMode.EX, LockMode.CW, false)]
    [InlineData(LockMode.EX, LockMode.EX, false)]
    public void Compatibility_matrix_on_one_bit(LockMode held, LockMode requested, bool granted)
    {
        var locks = NewManager();
        Assert.NotNull(locks.TryLock(File, 1, LockBits.ActiveWriters, held));
        Assert.Equal(granted, locks.TryLock(File, 2, LockBits.ActiveWriters, requested) is not null);
        Assert.Equal(granted, LockCompatibility.Compatible(held, requested));
    }

    [Fact]
    public void Different_bits_never_conflict()
    {
        var locks = NewManager();
        Assert.NotNull(locks.TryLock(File, 1, LockBits.ActiveWriters, LockMode.EX));
        Assert.NotNull(locks.TryLock(File, 2, LockBits.Layout, LockMode.EX));
        Assert.NotNull(locks.TryLock(new Fid(0x200000400UL, 8, 0), 3, LockBits.ActiveWriters, LockMode.EX));
    }

    [Fact]
    public async Task Conflicting_request_calls_back_the_holder_and_is_granted_by_its_cancel()
    {
        var locks = NewManager();
        var cw = await locks.EnqueueAsync(File, 1, LockBits.ActiveWriters, LockMode.CW);
        var ex = locks.EnqueueAsync(File, MdsLock.MdsClient, LockBits.ActiveWriters, LockMode.EX);

        Assert.False(ex.IsCompleted);
        var callback = Assert.Single(callbacks);
        Assert.Same(cw, callback.Lock);
        Assert.Equal(LockMode.EX, callback.BlockingMode);

        Assert.Same(cw, locks.Release(cw.Handle));
        var granted = await ex.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(LockState.Granted, granted.State);
    }

    [Fact]
    public async Task A_waiting_ex_blocks_new_cw_grants_so_writers_cannot_starve_an_epoch_close()
    {
        var locks = NewManager();
        var first = await locks.EnqueueAsync(File, 1, LockBits.ActiveWriters, LockMode.CW);
        var ex = locks.EnqueueAsync(File, MdsLock.MdsClient, LockBits.ActiveWriters, LockMode.EX);

        Assert.Null(locks.TryLock(File, 2, LockBits.ActiveWriters, LockMode.CW));
        var late = locks.EnqueueAsync(File, 2, LockBits.ActiveWriters, LockMode.CW);
        Assert.False(late.IsCompleted);

        locks.Release(first.Handle);
        var exLock = await ex.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(late.IsCompleted);

        locks.Release(exLock.Handle);
        Assert.Equal(LockState.Granted, (await late.WaitAsync(TimeSpan.FromSeconds(5))).State);
    }

    [Fact]
    public async Task One_callback_per_holder_however_many_waiters()
    {
        var locks = NewManager();
        await locks.EnqueueAsync(File, 1, LockBits.Layout, LockMode.CR);
        _ = locks.EnqueueAsync(File, MdsLock.MdsClient, LockBits.Layout, LockMode.EX);
        _ = locks.EnqueueAsync(File, MdsLock.MdsClient, LockBits.Layout, LockMode.EX);
        Assert.Single(callbacks);
    }

    [Fact]
    public async Task Holder_that_ignores_its_callback_expires_after_the_timeout()
    {
        var locks = NewManager();
        var cw = await locks.EnqueueAsync(File, 1, LockBits.ActiveWriters, LockMode.CW);
        await locks.EnqueueAsync(File, 2, LockBits.Layout, LockMode.CR);
        _ = locks.EnqueueAsync(File, MdsLock.MdsClient, LockBits.ActiveWriters, LockMode.EX);

        now += 9_000_000_000;
        Assert.Empty(locks.ExpiredCallbacks(TimeSpan.FromSeconds(10)));
        now += 1_000_000_000;
        Assert.Equal(new[] { cw }, locks.ExpiredCallbacks(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Dropping_a_client_grants_the_waiters_and_fails_its_own_waits_with_estale()
    {
        var locks = NewManager();
        var held = await locks.EnqueueAsync(File, 1, LockBits.ActiveWriters, LockMode.CW);
        var ex = locks.EnqueueAsync(File, MdsLock.MdsClient, LockBits.ActiveWriters, LockMode.EX);
        var waiting = locks.EnqueueAsync(File, 1, LockBits.ActiveWriters, LockMode.CW);

        var dropped = locks.DropClient(1);

        Assert.Equal(new[] { held }, dropped);
        await ex.WaitAsync(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<MirrorException>(() => waiting);
        Assert.Equal(Errno.ESTALE, e.Errno);
        Assert.Empty(locks.HeldBy(1));
    }

    [Fact]
    public async Task Revoke_calls_back_layout_holders_without_queueing()
    {
        var locks = NewManager();
        var cr = await locks.EnqueueAsync(File, 1, LockBits.Layout, LockMode.CR);
        await locks.EnqueueAsync(File, 2, LockBits.ActiveWriters, LockMode.CW);

        locks.Revoke(File, LockBits.Layout);

        Assert.Same(cr, Assert.Single(callbacks).Lock);
        Assert.NotNull(locks.TryLock(File, 3, LockBits.Layout, LockMode.CR));
    }

    [Fact]
    public void Bad_bits_or_mode_are_einval()
    {
        var locks = NewManager();
        Assert.Equal(Errno.EINVAL, Assert.Throws<MirrorException>(() => locks.TryLock(File, 1, LockBits.None, LockMode.CR)).Errno);
        Assert.Equal(Errno.EINVAL, Assert.Throws<MirrorException>(() => locks.TryLock(File, 1, LockBits.Layout, LockMode.None)).Errno);
    }
}
