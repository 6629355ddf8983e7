using System.Diagnostics;
using Google.Protobuf;
using Mirror.Core.Layouts;
using Mirror.Mds.Epochs;
using Mirror.Mds.Locks;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;
using ProtoLockMode = Mirror.Protocol.Mds.LockMode;

namespace Mirror.Mds.Tests;

/// <summary>
/// A real mirrord mds process killed at the epoch fault points (crash after the durable step, IWM §2.2.5)
/// and restarted on the same data folder.
/// </summary>
public sealed class EpochCrashTests : IDisposable
{
    private readonly MdsProcesses mds = new("crash-secret", "mds-crash-");

    public void Dispose() => mds.Dispose();

    [Fact]
    public async Task Crash_right_after_the_durable_epoch_open_then_nobody_reconnects_closes_it_with_secondaries_stale()
    {
        var (process, channel) = await StartAsync($"{EpochManager.OpenFault}=crash");
        using (channel)
        {
            var fid = await CreateIwmFileAsync(channel);
            var client = await Call<ConnectRequest, ConnectReply>(channel, MdsMethods.Connect, new ConnectRequest { ClientUuid = "writer", IwmAware = true });

            await Assert.ThrowsAsync<RpcException>(() => Call<LockEnqueueRequest, LockEnqueueReply>(channel, MdsMethods.LockEnqueue,
                new LockEnqueueRequest { ClientId = client.ClientId, Fid = fid, Bits = (uint)LockBits.ActiveWriters, Mode = ProtoLockMode.Cw }));
            await ExitedAsync(process);

            var (_, again) = await StartAsync(null);
            using (again)
            {
                await WaitAsync(async () => (await Call<Empty, ListEpochsReply>(again, MdsMethods.ListEpochs, new Empty())).Epochs.Count == 0,
                    "the recovered close");
                var layout = (await Call<FidRequest, LayoutReply>(again, MdsMethods.GetLayout, new FidRequest { Fid = fid })).Layout;

                // Closed as evicted: the secondaries STALE; the primary too, because the OSTs registered here
                // do not exist, so the lost writer could not be fenced on the primary's OST (IWM §2.2.6).
                Assert.Equal([(uint)(MirrorFlags.Immediate | MirrorFlags.Stale), (uint)(MirrorFlags.Immediate | MirrorFlags.Stale), (uint)(MirrorFlags.Immediate | MirrorFlags.Stale)],
                    layout.Mirrors.Select(m => m.Flags));
            }
        }
    }

    [Fact]
    public async Task Crash_right_after_the_durable_close_keeps_the_reported_errors_and_leaves_no_epoch()
    {
        var (process, channel) = await StartAsync($"{EpochManager.CloseFault}=crash");
        using (channel)
        {
            var fid = await CreateIwmFileAsync(channel);
            var client = await Call<ConnectRequest, ConnectReply>(channel, MdsMethods.Connect, new ConnectRequest { ClientUuid = "writer", IwmAware = true });
            var aw = await Call<LockEnqueueRequest, LockEnqueueReply>(channel, MdsMethods.LockEnqueue,
                new LockEnqueueRequest { ClientId = client.ClientId, Fid = fid, Bits = (uint)LockBits.ActiveWriters, Mode = ProtoLockMode.Cw });

            // The error report is durable before the reply; the forced close that follows crashes after its commit.
            await Call<LockCancelRequest, Empty>(channel, MdsMethods.LockCancel,
                new LockCancelRequest { ClientId = client.ClientId, LockHandle = aw.LockHandle, Lvb = ByteString.CopyFrom(IwmBed.Lvb(1)) });
            await ExitedAsync(process);

            var (_, again) = await StartAsync(null);
            using (again)
            {
                Assert.Empty((await Call<Empty, ListEpochsReply>(again, MdsMethods.ListEpochs, new Empty())).Epochs);
                var layout = (await Call<FidRequest, LayoutReply>(again, MdsMethods.GetLayout, new FidRequest { Fid = fid })).Layout;
                Assert.Equal([(uint)MirrorFlags.Immediate, (uint)(MirrorFlags.Immediate | MirrorFlags.Stale), (uint)MirrorFlags.Immediate],
                    layout.Mirrors.Select(m => m.Flags));
            }
        }
    }

    private static async Task<FidMsg> CreateIwmFileAsync(RpcChannel channel)
    {
        for (uint i = 0; i < 3; i++)
        {
            await Call<RegisterOstRequest, Empty>(channel, MdsMethods.RegisterOst, new RegisterOstRequest
            {
                Index = i,
                Address = $"127.0.0.1:{7100 + i}",
                FailureDomain = $"rack{i}",
                TotalBytes = 1UL << 40,
                FreeBytes = 1UL << 39,
                Uuid = $"ost-{i}",
            });
        }

        var spec = TestMds.Spec(Enumerable.Range(0, 3).Select(_ => TestMds.MirrorOf(MirrorFlags.Immediate, TestMds.Comp())).ToArray());
        var created = await Call<CreateRequest, CreateReply>(channel, MdsMethods.Create, new CreateRequest { Parent = TestMds.Root, Name = "f", Mode = 420, Layout = spec });
        return created.Attr.Fid;
    }

    private Task<(Process Mds, RpcChannel Channel)> StartAsync(string? faults) => mds.StartAsync(faults, "--recovery-window-ms", "300");

    private static Task ExitedAsync(Process process) => MdsProcesses.ExitedAsync(process);

    private static Task WaitAsync(Func<Task<bool>> condition, string what) => MdsProcesses.WaitAsync(condition, what);

    private static Task<TResp> Call<TReq, TResp>(RpcChannel channel, string method, TReq request)
        where TReq : IMessage<TReq>
        where TResp : IMessage<TResp>, new() => MdsProcesses.Call<TReq, TResp>(channel, method, request);
}
