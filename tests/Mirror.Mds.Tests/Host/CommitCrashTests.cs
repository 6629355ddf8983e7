using System.Diagnostics;
using Google.Protobuf;
using Mirror.Mds.Store;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;

namespace Mirror.Mds.Tests;

/// <summary>
/// The commit path on a real mirrord mds killed with SIGKILL (Store/README.md "Durability"): every mutation that was
/// answered is there after the restart, whether it was committed alone or in a shared batch, and a crash between
/// COMMIT and the WAL sync (nobody answered yet) leaves a database that opens and keeps what was answered.
/// </summary>
public sealed class CommitCrashTests : IDisposable
{
    private static readonly FidMsg Root = TestMds.Root;
    private readonly MdsProcesses processes = new("commit-crash-secret", "mds-commit-crash-");

    public void Dispose() => processes.Dispose();

    [Fact]
    public async Task Every_answered_mutation_survives_a_kill_9_right_after_the_reply()
    {
        var (mds, channel) = await processes.StartAsync();
        var answered = new List<string>();
        using (channel)
        {
            // One by one (each commits alone on an idle MDS), then a burst that shares batches.
            for (var i = 0; i < 20; i++)
            {
                Assert.True((await Mkdir(channel, $"one{i}")).Created);
                answered.Add($"one{i}");
            }

            var burst = Enumerable.Range(0, 100).Select(i => $"burst{i}").ToList();
            var replies = await Task.WhenAll(burst.Select(name => Mkdir(channel, name)));
            Assert.All(replies, r => Assert.True(r.Created));
            answered.AddRange(burst);
            Assert.True((await Mkdir(channel, "last")).Created);
            answered.Add("last");
            await MdsProcesses.KillAsync(mds);
        }

        (_, channel) = await processes.StartAsync();
        using (channel)
        {
            Assert.Equal(answered.Order(StringComparer.Ordinal), (await Names(channel)).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task A_crash_between_commit_and_wal_sync_answers_nobody_and_the_restart_keeps_what_was_answered()
    {
        var (mds, channel) = await processes.StartAsync();
        using (channel)
        {
            Assert.True((await Mkdir(channel, "kept")).Created);
            await MdsProcesses.Call<SetFaultRequest, SetFaultReply>(channel, MdsMethods.SetFault,
                new SetFaultRequest { Name = GroupCommitter.WalSyncFault, Action = "crash", Count = 1 });
            await Assert.ThrowsAsync<RpcException>(() => Mkdir(channel, "unsynced"));
            await MdsProcesses.ExitedAsync(mds);
        }

        (_, channel) = await processes.StartAsync();
        using (channel)
        {
            // "unsynced" was written to the WAL by COMMIT and may be there (kill -9 keeps the page cache) or not
            // (a power loss would drop it); it was never answered, so either is correct. What was answered is there.
            var names = await Names(channel);
            Assert.Contains("kept", names);
            Assert.True(names.SetEquals(["kept"]) || names.SetEquals(["kept", "unsynced"]), string.Join(",", names));
            Assert.True((await Mkdir(channel, "after")).Created);
        }
    }

    private static Task<CreateReply> Mkdir(RpcChannel channel, string name) =>
        MdsProcesses.Call<CreateRequest, CreateReply>(channel, MdsMethods.Mkdir, new CreateRequest { Parent = Root, Name = name, Mode = 493 });

    private static async Task<HashSet<string>> Names(RpcChannel channel)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        ulong cookie = 0;
        while (true)
        {
            var page = await MdsProcesses.Call<ReaddirRequest, ReaddirReply>(channel, MdsMethods.Readdir,
                new ReaddirRequest { Fid = Root, Cookie = cookie, MaxEntries = 1000 });
            foreach (var entry in page.Entries.Where(e => e.Name is not "." and not ".."))
            {
                names.Add(entry.Name);
                cookie = entry.Cookie;
            }

            if (page.Eof || page.Entries.Count == 0)
            {
                return names;
            }
        }
    }
}
