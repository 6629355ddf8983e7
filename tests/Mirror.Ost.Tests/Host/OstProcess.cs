using System.Diagnostics;

namespace Mirror.Ost.Tests.Host;

/// <summary>An OST in a child process (see Program.cs), stopped by its PID on dispose.</summary>
internal sealed class OstProcess : IDisposable
{
    private readonly Process process;

    private OstProcess(Process process, string address)
    {
        this.process = process;
        Address = address;
    }

    public string Address { get; }

    public int Pid => process.Id;

    public static async Task<OstProcess> StartAsync(string dataDir, int index, string token)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        start.ArgumentList.Add("ost-child");
        start.ArgumentList.Add(dataDir);
        start.ArgumentList.Add(index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(token);
        start.Environment.Remove("MIRROR_FAULTS");
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the OST child process");
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException($"OST child exited early: {await process.StandardError.ReadToEndAsync(timeout.Token)}");
                if (line.StartsWith("address=", StringComparison.Ordinal))
                {
                    return new OstProcess(process, line["address=".Length..]);
                }
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>SIGKILL, by PID.</summary>
    public void Kill() => process.Kill(entireProcessTree: true);

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
    }
}
