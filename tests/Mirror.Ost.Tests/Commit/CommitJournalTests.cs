using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Core.Errors;
using Mirror.Ost.Commit;

namespace Mirror.Ost.Tests.Commit;

public sealed class CommitJournalTests : IDisposable
{
    private readonly TempDataDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Last_committed_advances_only_after_every_dirty_item_is_flushed()
    {
        var journal = new CommitJournal(dir.Path, 0, NullLogger.Instance);
        var observed = new List<(ulong LastCommitted, ulong Persisted)>();
        var item = new FakeItem(() => observed.Add((journal.LastCommitted, new LastCommittedFile(dir.Path).Load())));
        var transno = journal.Record(item);

        Assert.Equal(0UL, journal.LastCommitted);
        Assert.NotNull(journal.Commit());

        Assert.Equal([(0UL, 0UL)], observed);
        Assert.Equal(transno, journal.LastCommitted);
        Assert.Equal(transno, new LastCommittedFile(dir.Path).Load());
        Assert.Equal(0, item.References);
    }

    [Fact]
    public void A_failed_flush_keeps_last_committed_fails_waiters_and_retries_the_item()
    {
        var journal = new CommitJournal(dir.Path, 0, NullLogger.Instance);
        var failures = 1;
        var item = new FakeItem(() =>
        {
            if (failures-- > 0)
            {
                throw new MirrorException(Errno.EIO, "disk on fire");
            }
        });
        var transno = journal.Record(item);
        var waiter = journal.WaitCommittedAsync(transno);

        Assert.Equal(Errno.EIO, Assert.Throws<MirrorException>(() => journal.Commit()).Errno);
        Assert.Equal(0UL, journal.LastCommitted);
        Assert.True(waiter.IsFaulted);

        journal.Commit();
        Assert.Equal(transno, journal.LastCommitted);
        Assert.Equal(2, item.Flushes);
        Assert.Equal(0, item.References);
    }

    [Fact]
    public void Restart_continues_transnos_above_the_persisted_last_committed()
    {
        var first = new CommitJournal(dir.Path, 0, NullLogger.Instance);
        first.Record(new FakeItem());
        var committed = first.Record(new FakeItem());
        first.Commit();
        first.Record(new FakeItem()); // never committed: lost with the "crash"

        var second = new CommitJournal(dir.Path, 0, NullLogger.Instance);

        Assert.Equal(committed, second.LastCommitted);
        Assert.Equal(committed, second.LastTransno);
        Assert.True(second.Record(new FakeItem()) > committed);
    }

    [Fact]
    public async Task Commit_thread_commits_a_waiter_at_once_even_with_a_long_interval()
    {
        var journal = new CommitJournal(dir.Path, 0, NullLogger.Instance);
        using var thread = new CommitThread(journal, TimeSpan.FromHours(1), NullLogger.Instance);
        var transno = journal.Record(new FakeItem());

        await journal.WaitCommittedAsync(transno).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(journal.LastCommitted >= transno);
    }

    [Fact]
    public async Task Commit_thread_commits_on_its_interval_without_being_asked()
    {
        var journal = new CommitJournal(dir.Path, 0, NullLogger.Instance);
        using var thread = new CommitThread(journal, TimeSpan.FromMilliseconds(50), NullLogger.Instance);
        var transno = journal.Record(new FakeItem());

        await TestObjects.WaitUntilAsync(() => journal.LastCommitted >= transno, TimeSpan.FromSeconds(30), "the periodic commit");
    }

    [Fact]
    public void Stopping_the_commit_thread_commits_what_is_outstanding()
    {
        var journal = new CommitJournal(dir.Path, 0, NullLogger.Instance);
        var thread = new CommitThread(journal, TimeSpan.FromHours(1), NullLogger.Instance);
        var transno = journal.Record(new FakeItem());

        thread.Dispose();

        Assert.Equal(transno, journal.LastCommitted);
    }

    [Fact]
    public async Task Concurrent_records_are_all_covered_by_the_commit_that_follows()
    {
        var journal = new CommitJournal(dir.Path, 0, NullLogger.Instance);
        using var thread = new CommitThread(journal, TimeSpan.FromMilliseconds(1), NullLogger.Instance);
        var items = Enumerable.Range(0, 200).Select(_ => new FakeItem()).ToArray();
        var transnos = await Task.WhenAll(items.Select(item => Task.Run(() => journal.Record(item))));

        Assert.Equal(transnos.Length, transnos.Distinct().Count());
        await journal.WaitCommittedAsync(transnos.Max()).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(items, item => Assert.True(item.Flushes >= 1));
    }

    private sealed class FakeItem(Action? onFlush = null) : IDurableItem
    {
        private int references;
        private int flushes;

        public int References => Volatile.Read(ref references);

        public int Flushes => Volatile.Read(ref flushes);

        public void MakeDurable()
        {
            Interlocked.Increment(ref flushes);
            onFlush?.Invoke();
        }

        public void Retain() => Interlocked.Increment(ref references);

        public void Release() => Interlocked.Decrement(ref references);
    }
}
