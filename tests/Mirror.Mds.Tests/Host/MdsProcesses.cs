using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using Mirror.Core.Faults;
using Mirror.Rpc;

namespace Mirror.Mds.Tests;

/// <summary>
/// Real mirrord mds processes on one data folder, for the crash suites: start (optionally with armed fault
/// points), kill -9, start again. Disposing kills what is still running, by the Process it started, and deletes
/// the folder.
/// </summary>
internal sealed class MdsProcesses : IDisposable
{
    private readonly List<Process> started = [];
    private bool disposed;

    public MdsProcesses(string token, string prefix)
    {
        Token = token;
        Dir = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Token { get; }

    public string Dir { get; }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var p in started)
        {
            if (!p.HasExited)
            {
                p.Kill();
                p.WaitForExit(10_000);
            }

            p.Dispose();
        }

        Directory.Delete(Dir, recursive: true);
    }

    /// <summary>Starts `mirrord mds` on <see cref="Dir"/>/mds and waits for its ready file.</summary>
    /// <param name="faults">MIRROR_FAULTS for the process (null = none armed).</param>
    public async Task<(Process Mds, RpcChannel Channel)> StartAsync(string? faults = null, params string[] extraArgs)
    {
        var tokenFile = Path.Combine(Dir, "token");
        await File.WriteAllTextAsync(tokenFile, Token + "\n");
        var readyFile = Path.Combine(Dir, $"ready-{started.Count}");
        var start = new ProcessStartInfo(DotnetHost()) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "mirrord.dll"), "mds", "--data", Path.Combine(Dir, "mds"), "--token-file", tokenFile,
            "--ready-file", readyFile, "--metrics-port", "0",
        }.Concat(extraArgs))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove(FaultPoints.EnvironmentVariable);
        if (faults is not null)
        {
            start.Environment[FaultPoints.EnvironmentVariable] = faults;
        }

        var process = Process.Start(start)!;
        started.Add(process);
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        await WaitAsync(() => Task.FromResult(File.Exists(readyFile) || process.HasExited), "the mds ready file", 60_000);
        Assert.False(process.HasExited, "mirrord mds exited before it was ready");
        using var ready = JsonDocument.Parse(await File.ReadAllTextAsync(readyFile));
        return (process, RpcChannel.ForAddress(ready.RootElement.GetProperty("address").GetString()!, Token));
    }

    /// <summary>SIGKILL: no shutdown path runs.</summary>
    public static async Task KillAsync(Process process)
    {
        process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>Waits for a process that crashed itself (an armed fault point) and checks it did not exit cleanly.</summary>
    public static async Task ExitedAsync(Process process)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(deadline.Token);
        Assert.NotEqual(0, process.ExitCode);
    }

    public static Task<TResp> Call<TReq, TResp>(RpcChannel channel, string method, TReq request)
        where TReq : IMessage<TReq>
        where TResp : IMessage<TResp>, new() =>
        channel.UnaryAsync<TReq, TResp>(method, request, new CallOptions(Timeout: TimeSpan.FromSeconds(30)));

    public static async Task WaitAsync(Func<Task<bool>> condition, string what, int timeoutMs = 20_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    private static string DotnetHost() =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : "dotnet";
}
