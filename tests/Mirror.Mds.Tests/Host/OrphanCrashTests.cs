using System.Collections.Concurrent;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Protocol.Ost;
using Mirror.Rpc;
using static Mirror.Mds.Tests.MdsProcesses;

namespace Mirror.Mds.Tests;

/// <summary>
/// Unlink answers once the name is gone and the file's objects are durably queued as orphans; the OST
/// destroys run afterwards. A real mirrord mds killed with SIGKILL while those destroys are still in flight
/// destroys them after its restart, and the unlinked name never comes back.
/// </summary>
public sealed class OrphanCrashTests : IAsyncLifetime
{
    private const string Token = "orphan-crash-secret";
    private readonly MdsProcesses processes = new(Token, "mds-orphan-crash-");
    private readonly ConcurrentQueue<ObjectId> arrived = new();
    private readonly ConcurrentDictionary<string, ObjectId> destroyed = new();
    private readonly TaskCompletionSource answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RpcServer? ost;
    private int generation = 1;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>
    /// IAsyncLifetime, not IAsyncDisposable: xunit 2 awaits IAsyncLifetime.DisposeAsync and never calls
    /// IAsyncDisposable (a mirrord mds outlived every run that way), so the stand-in OST is stopped here too.
    /// </summary>
    public async Task DisposeAsync()
    {
        answer.TrySetResult();
        try
        {
            // The MDS first: it is a process of its own and must not outlive the test, whatever the stand-in OST does.
            processes.Dispose();
        }
        finally
        {
            if (ost is not null)
            {
                await ost.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Unlink_answers_before_the_objects_are_destroyed_and_a_kill_9_before_they_are_leaves_them_for_the_restart()
    {
        ost = await StartOstAsync();
        var (mds, channel) = await processes.StartAsync();
        FidMsg file;
        List<uint> components;
        using (channel)
        {
            await RegisterOstsAsync(channel);
            var spec = TestMds.Spec(TestMds.MirrorOf(MirrorFlags.Immediate, TestMds.Comp()), TestMds.MirrorOf(MirrorFlags.Immediate, TestMds.Comp()));
            file = (await Call<CreateRequest, CreateReply>(channel, MdsMethods.Create, new CreateRequest { Parent = TestMds.Root, Name = "f", Mode = 420, Layout = spec })).Attr.Fid;
            var layout = (await Call<FidRequest, LayoutReply>(channel, MdsMethods.GetLayout, new FidRequest { Fid = file })).Layout;
            components = layout.Mirrors.SelectMany(m => m.Components).Select(c => c.Id).Order().ToList();
            Assert.Equal(2, components.Count);

            // The OST holds every Destroy: the unlink must be answered anyway.
            await Call<NameRequest, Empty>(channel, MdsMethods.Unlink, new NameRequest { Parent = TestMds.Root, Name = "f" });
            await AssertGoneAsync(channel);
            await WaitAsync(() => Task.FromResult(arrived.Any(o => o.Fid.Equals(file))), "the MDS to start destroying the unlinked file's objects");
            Assert.Empty(destroyed);
            await KillAsync(mds);
        }

        // Calls the killed process left behind may still be answered now; only calls of the restarted one count.
        Volatile.Write(ref generation, 2);
        answer.SetResult();
        (_, channel) = await processes.StartAsync();
        using (channel)
        {
            await AssertGoneAsync(channel);
            await RegisterOstsAsync(channel); // the OSTs' heartbeat: the restarted MDS sees them up
            await WaitAsync(() => Task.FromResult(destroyed.Values.Count(o => o.Fid.Equals(file)) == 2), "both objects destroyed after the restart");
            Assert.Equal(components, destroyed.Values.Where(o => o.Fid.Equals(file)).Select(o => o.ComponentId).Order().ToList());
        }
    }

    private static async Task AssertGoneAsync(RpcChannel channel)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Call<LookupRequest, Attr>(channel, MdsMethods.Lookup, new LookupRequest { Parent = TestMds.Root, Name = "f" }));
        Assert.Equal(Errno.ENOENT, e.Errno);
    }

    private async Task RegisterOstsAsync(RpcChannel channel)
    {
        for (uint i = 0; i < 2; i++)
        {
            await Call<RegisterOstRequest, Empty>(channel, MdsMethods.RegisterOst, new RegisterOstRequest
            {
                Index = i,
                Address = ost!.Address,
                FailureDomain = $"rack{i}",
                TotalBytes = 1UL << 40,
                FreeBytes = 1UL << 39,
                Uuid = $"ost-{i}",
            });
        }
    }

    /// <summary>
    /// A stand-in OST serving only Destroy: it holds each call until <see cref="answer"/> is set and counts as
    /// destroyed only what the restarted MDS asked for.
    /// </summary>
    private Task<RpcServer> StartOstAsync() => RpcServer.StartAsync(
        new RpcServerOptions { Token = Token, MetricsPort = null },
        [
            new RpcServiceBuilder(OstMethods.Service).Unary<DestroyRequest, ModifyReply>(OstMethods.Destroy, async (request, context) =>
            {
                var caller = Volatile.Read(ref generation);
                arrived.Enqueue(request.Object);
                await answer.Task.WaitAsync(context.CancellationToken);
                if (caller == 2)
                {
                    destroyed[request.Object.ToString()] = request.Object;
                }

                return new ModifyReply();
            }),
        ]);
}
