using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using Mirror.Core.Faults;
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
    private const string Token = "quota-crash-secret";
    private const ulong MiB = 1024 * 1024;
    private readonly string dir = Directory.CreateTempSubdirectory("mds-quota-crash-").FullName;
    private readonly List<Process> started = [];

    public void Dispose()
    {
        foreach (var p in started)
        {
            if (!p.HasExited)
            {
                p.Kill();
                p.WaitForExit(10_000);
            }

            p.Dispose();
        }

        Directory.Delete(dir, recursive: true);
    }

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
            mds.Kill(); // SIGKILL: no shutdown path runs
            await mds.WaitForExitAsync();
        }

        (mds, channel) = await StartAsync();
        using (channel)
        {
            Assert.Equal(4 * MiB, (await Call<VolumeRequest, VolumeInfo>(channel, MdsMethods.GetVolume, new VolumeRequest { Name = "v" })).UsedBytes);
            await Call<SetFaultRequest, SetFaultReply>(channel, MdsMethods.SetFault, new SetFaultRequest { Name = GroupCommitter.CommitFault, Action = "crash", Count = 1 });
            await Assert.ThrowsAsync<RpcException>(() =>
                Call<ReserveSpaceRequest, ReserveSpaceReply>(channel, MdsMethods.ReserveSpace, new ReserveSpaceRequest { Fid = file, NewEnd = 9 * MiB }));
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await mds.WaitForExitAsync(deadline.Token);
            Assert.NotEqual(0, mds.ExitCode);
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
        where TResp : IMessage<TResp>, new() =>
        channel.UnaryAsync<TReq, TResp>(method, request, new CallOptions(Timeout: TimeSpan.FromSeconds(30)));

    private async Task<(Process Mds, RpcChannel Channel)> StartAsync()
    {
        var tokenFile = Path.Combine(dir, "token");
        await File.WriteAllTextAsync(tokenFile, Token + "\n");
        var readyFile = Path.Combine(dir, $"ready-{started.Count}");
        var start = new ProcessStartInfo(DotnetHost()) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "mirrord.dll"), "mds", "--data", Path.Combine(dir, "mds"), "--token-file", tokenFile,
            "--ready-file", readyFile, "--metrics-port", "0",
        })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove(FaultPoints.EnvironmentVariable);
        var process = Process.Start(start)!;
        started.Add(process);
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(readyFile) && !process.HasExited)
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the mds ready file");
            await Task.Delay(20);
        }

        Assert.False(process.HasExited, "mirrord mds exited before it was ready");
        using var ready = JsonDocument.Parse(await File.ReadAllTextAsync(readyFile));
        return (process, RpcChannel.ForAddress(ready.RootElement.GetProperty("address").GetString()!, Token));
    }

    private static string DotnetHost() =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : "dotnet";
}
