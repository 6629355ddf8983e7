using System.Diagnostics;
using Mirror.Core.Errors;
using Mirror.Core.Faults;
using Mirror.Mds.Host;
using Mirror.Mds.Store;
using Mirror.Protocol.Mds;
using Xunit.Abstractions;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

[CollectionDefinition(nameof(FaultPointTests), DisableParallelization = true)]
public sealed class FaultPointTests;

/// <summary>Fault points are process-wide, so these tests run alone.</summary>
[Collection(nameof(FaultPointTests))]
public sealed class GroupCommitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Concurrent_creates_share_commits_and_all_survive_a_restart()
    {
        var batches = 0;
        var dir = Path.Combine(Path.GetTempPath(), "mds-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new MdsCoreOptions { DataDir = dir, OnCommitBatch = (_, _) => Interlocked.Increment(ref batches), DestroyObject = (_, _, _) => Task.CompletedTask };
            const int n = 2000;
            (uint Nlink, ulong Cookie, long Mtime, ulong LastOid, ulong LastChangelog) before;
            await using (var core = await MdsCore.OpenAsync(options))
            {
                var service = new Service.MdsService(core);
                await Task.WhenAll(Enumerable.Range(0, 200).Select(i => service.Mkdir(new CreateRequest { Parent = Root, Name = $"warm{i}", Mode = 493 })));
                Volatile.Write(ref batches, 0);
                var watch = Stopwatch.StartNew();
                // Each on its own thread-pool thread, as RPC handlers run: a caller that finds the committer idle
                // commits on its own thread, so a loop of un-awaited calls on one thread would commit one by one.
                await Task.WhenAll(Enumerable.Range(0, n).Select(i => Task.Run(() => service.Mkdir(new CreateRequest { Parent = Root, Name = $"d{i}", Mode = 493 }))));
                output.WriteLine($"{n} mkdirs in {watch.ElapsedMilliseconds} ms ({n / watch.Elapsed.TotalSeconds:F0}/s) in {batches} commits");
                Assert.True(batches < n / 2, $"{batches} commits for {n} mutations: group commit is not batching");
                before = State(core);
            }

            // A batch writes the root's row and the meta counters once (the last upsert wins): the state on disk is
            // the state of the last mutation.
            await using var reopened = await MdsCore.OpenAsync(options);
            Assert.Equal(n + 200, reopened.Model.Read(() => reopened.Model.Get(Core.Fid.Root).Entries.Count));
            Assert.Equal(before, State(reopened));
            Assert.Equal((uint)(n + 202), before.Nlink);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (uint Nlink, ulong Cookie, long Mtime, ulong LastOid, ulong LastChangelog) State(MdsCore core) => core.Model.Read(() =>
    {
        var root = core.Model.Get(Core.Fid.Root);
        return (root.Nlink, root.NextCookie, root.MtimeNs, core.Model.LastOid, core.Model.LastChangelogIndex);
    });

    [Fact]
    public async Task A_failed_commit_fails_the_caller_and_nothing_of_it_is_on_disk_after_restart()
    {
        await using var mds = await StartAsync();
        await mds.MkdirAsync("kept");
        FaultPoints.Set(GroupCommitter.CommitFault, new FaultSpec(FaultAction.Fail, Remaining: 1));
        try
        {
            var e = await Fails(Errno.EIO, () => mds.MkdirAsync("lost"));
            Assert.Contains("mds.commit", e.Message);
            // Memory may be ahead of disk now: the MDS refuses changes until restarted.
            Assert.False(mds.Core.Model.Healthy);
            await Fails(Errno.EIO, () => mds.MkdirAsync("refused"));
            await Fails(Errno.ENOENT, () => mds.Service.Lookup(new LookupRequest { Parent = Root, Name = "refused" }));
        }
        finally
        {
            FaultPoints.Clear(GroupCommitter.CommitFault);
        }

        await mds.ReopenAsync();
        Assert.True(mds.Core.Model.Healthy);
        await mds.Service.Lookup(new LookupRequest { Parent = Root, Name = "kept" });
        await Fails(Errno.ENOENT, () => mds.Service.Lookup(new LookupRequest { Parent = Root, Name = "lost" }));
        Assert.Equal([ChangelogType.ClMkdir], (await mds.ChangelogAsync()).Select(r => r.Type));
        Assert.True((await mds.MkdirAsync("after")).Created);
    }

    [Fact]
    public async Task A_committed_batch_is_answered_only_after_the_wal_is_synced()
    {
        await using var mds = await StartAsync();
        await mds.MkdirAsync("warm");
        // Holds the committer between COMMIT and the WAL sync long enough to look at both sides.
        FaultPoints.Set(GroupCommitter.WalSyncFault, new FaultSpec(FaultAction.Delay, DelayMs: 3000, Remaining: 1));
        try
        {
            // An idle MDS commits a lone mutation on the caller's thread, so the caller runs on its own.
            var mkdir = Task.Run(() => mds.MkdirAsync("pending"));
            await WaitForAsync(() => CommittedEntries(mds).Contains("pending"), "the COMMIT of the pending mkdir");
            Assert.False(mkdir.IsCompleted, "the mkdir was answered before the WAL sync that makes it durable");
            Assert.True((await mkdir).Created);
        }
        finally
        {
            FaultPoints.Clear(GroupCommitter.WalSyncFault);
        }
    }

    [Fact]
    public async Task A_failed_wal_sync_fails_the_caller_and_the_mds_refuses_changes_until_restart()
    {
        await using var mds = await StartAsync();
        await mds.MkdirAsync("kept");
        FaultPoints.Set(GroupCommitter.WalSyncFault, new FaultSpec(FaultAction.Fail, Remaining: 1));
        try
        {
            // COMMIT went through, the sync did not: the change is not known durable, so nobody is told it is.
            var e = await Fails(Errno.EIO, () => mds.MkdirAsync("unsynced"));
            Assert.Contains("mds.wal-sync", e.Message);
            Assert.False(mds.Core.Model.Healthy);
            await Fails(Errno.EIO, () => mds.MkdirAsync("refused"));
        }
        finally
        {
            FaultPoints.Clear(GroupCommitter.WalSyncFault);
        }

        await mds.ReopenAsync();
        Assert.True(mds.Core.Model.Healthy);
        await mds.Service.Lookup(new LookupRequest { Parent = Root, Name = "kept" });
        await Fails(Errno.ENOENT, () => mds.Service.Lookup(new LookupRequest { Parent = Root, Name = "refused" }));
        Assert.True((await mds.MkdirAsync("after")).Created);
    }

    /// <summary>Names in the root as another SQLite connection sees them: what COMMIT has put in the WAL.</summary>
    private static HashSet<string> CommittedEntries(TestMds mds)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={Path.Combine(mds.Dir, "mds.sqlite")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM dentries WHERE parent = $p";
        command.Parameters.AddWithValue("$p", Core.Fid.Root.ToBytes());
        using var reader = command.ExecuteReader();
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
