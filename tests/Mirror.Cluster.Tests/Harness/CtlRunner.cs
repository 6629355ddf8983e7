using System.Diagnostics;

namespace Mirror.Cluster.Tests.Harness;

/// <summary>What a mirrorctl or mirrord run printed and how it ended.</summary>
public sealed record CtlResult(int Exit, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {Exit}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the built mirrorctl.dll / mirrord.dll (copied next to the tests by the project references) as
/// real processes through the dotnet host, with a deadline; a run past it is killed by its pid.
/// </summary>
public static class CtlRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(180);

    public static string BinaryDir => AppContext.BaseDirectory;

    public static string DotnetHost =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : "dotnet";

    public static Process StartDll(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(DotnetHost)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(Path.Combine(BinaryDir, dll));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The daemons must be the ones built beside the tests.
        start.Environment.Remove("MIRRORD");
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {dll}");
    }

    public static async Task<CtlResult> RunDllAsync(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var argList = args.ToList();
        using var process = StartDll(dll, argList, environment);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"{dll} {string.Join(' ', argList)} did not finish within {(timeout ?? DefaultTimeout).TotalSeconds:0}s");
        }

        return new CtlResult(process.ExitCode, await stdout, await stderr);
    }
}
