using System.Diagnostics;

namespace Mirror.Cluster.Tests.Harness;

/// <summary>
/// An IWM writer in another process: `mirrorctl put - FILE` fed from this process's pipe, one chunk after
/// another, until it is killed. While it is fed it holds the file's AW lock (its idle release never fires),
/// so a kill -9 of its pid is a client lost while holding the lock (IWM §2.4.3.1).
/// </summary>
public sealed class StreamingPut : IAsyncDisposable
{
    private readonly Process process;
    private readonly CancellationTokenSource stop = new();
    private readonly Task feeding;
    private readonly Task<string> stderr;
    private long bytesFed;

    private StreamingPut(Process process)
    {
        this.process = process;
        _ = process.StandardOutput.ReadToEndAsync();
        stderr = process.StandardError.ReadToEndAsync();
        feeding = Task.Run(FeedAsync);
    }

    public int Pid => process.Id;

    public long BytesFed => Interlocked.Read(ref bytesFed);

    public static StreamingPut Start(LocalCluster cluster, string path) =>
        new(CtlRunner.StartDll("mirrorctl.dll", ["put", "-", path], new Dictionary<string, string?> { ["MIRROR_CLUSTER_DIR"] = cluster.Dir }));

    /// <summary>kill -9 by pid; waits until it has exited.</summary>
    public async Task KillAsync()
    {
        stop.Cancel();
        process.Kill();
        await process.WaitForExitAsync();
        try
        {
            await feeding;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // the pipe broke under the kill
        }
    }

    public async Task<string> StderrAsync() => process.HasExited ? await stderr : "(running)";

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            await KillAsync();
        }

        process.Dispose();
        stop.Dispose();
    }

    private async Task FeedAsync()
    {
        var chunk = new byte[256 * 1024];
        new Random(42).NextBytes(chunk);
        var input = process.StandardInput.BaseStream;
        while (!stop.IsCancellationRequested)
        {
            await input.WriteAsync(chunk, stop.Token);
            await input.FlushAsync(stop.Token);
            Interlocked.Add(ref bytesFed, chunk.Length);
        }
    }
}
