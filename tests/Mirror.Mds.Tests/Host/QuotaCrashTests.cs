using System.Diagnostics;
using Google.Protobuf;
using Mirror.Mds.Store;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;

namespace Mirror.Mds.Tests;

/// <summary>
/// Volume usage on a real mirrord mds process killed with SIGKILL: what was answered is there after the
/// restart, and a reservation that crashed inside its commit is not (usage and size change in one transaction).
/// </summary>
public sealed class QuotaCrashTests : IDisposable
{
    private const ulong MiB = 1024 * 1024;
    private readonly MdsProcesses processes = new("quota-crash-secret", "mds-quota-crash-");

    public void Dispose() => processes.Dispose();

    [Fact]
    public async Task Usage_survives_kill_9_and_a_crash_inside_the_commit_charges_nothing()
    {
        var (mds, channel) = await StartAsync();
        FidMsg file;
        using (channel)
        {
            await Call<RegisterOstRequest, Empty>(channel, MdsMethods.RegisterOst, new RegisterOstRequest
            {
                Index = 0,
                Address = "127.0.0.1:7300",
                FailureDomain = "rack0",
                TotalBytes = 1UL << 40,
                FreeBytes = 1UL << 39,
                Uuid = "ost-0",
            });
            var volume = await Call<CreateVolumeRequest, VolumeInfo>(channel, MdsMethods.CreateVolume, new CreateVolumeRequest { Name = "v", CapacityBytes = 10 * MiB });
            file = (await Call<CreateRequest, CreateReply>(channel, MdsMethods.Create, new CreateRequest { Parent = volume.Root, Name = "f", Mode = 420 })).Attr.Fid;
            await Call<ReserveSpaceRequest, ReserveSpaceReply>(channel, MdsMethods.ReserveSpace, new ReserveSpaceRequest { Fid = file, NewEnd = 3 * MiB });
            await Call<UpdateSizeRequest, Attr>(channel, MdsMethods.UpdateSize, new UpdateSizeRequest { Fid = file, Size = 4 * MiB });
            await MdsProcesses.KillAsync(mds);
        }

        (mds, channel) = await StartAsync();
        using (channel)
        {
            Assert.Equal(4 * MiB, (await Call<VolumeRequest, VolumeInfo>(channel, MdsMethods.GetVolume, new VolumeRequest { Name = "v" })).UsedBytes);
            await Call<SetFaultRequest, SetFaultReply>(channel, MdsMethods.SetFault, new SetFaultRequest { Name = GroupCommitter.CommitFault, Action = "crash", Count = 1 });
            await Assert.ThrowsAsync<RpcException>(() =>
                Call<ReserveSpaceRequest, ReserveSpaceReply>(channel, MdsMethods.ReserveSpace, new ReserveSpaceRequest { Fid = file, NewEnd = 9 * MiB }));
            await MdsProcesses.ExitedAsync(mds);
        }

        (_, channel) = await StartAsync();
        using (channel)
        {
            Assert.Equal(4 * MiB, (await Call<VolumeRequest, VolumeInfo>(channel, MdsMethods.GetVolume, new VolumeRequest { Name = "v" })).UsedBytes);
            var statfs = await Call<StatfsRequest, StatfsReply>(channel, MdsMethods.Statfs, new StatfsRequest { Fid = file });
            Assert.Equal((10 * MiB, 6 * MiB), (statfs.TotalBytes, statfs.FreeBytes));
            var granted = await Call<ReserveSpaceRequest, ReserveSpaceReply>(channel, MdsMethods.ReserveSpace, new ReserveSpaceRequest { Fid = file, NewEnd = 10 * MiB });
            Assert.Equal(10 * MiB, granted.GrantedEnd);
        }
    }

    private static Task<TResp> Call<TReq, TResp>(RpcChannel channel, string method, TReq request)
        where TReq : IMessage<TReq>
        where TResp : IMessage<TResp>, new() => MdsProcesses.Call<TReq, TResp>(channel, method, request);

    private Task<(Process Mds, RpcChannel Channel)> StartAsync() => processes.StartAsync();
}
