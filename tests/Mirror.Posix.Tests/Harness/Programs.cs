using Mirror.Cluster.Tests.Harness;

namespace Mirror.Posix.Tests.Harness;

/// <summary>Ordinary programs (cp, tar, stat, sh as another user) run on files in the mount.</summary>
internal static class Programs
{
    public const string Nobody = "65534";

    public static async Task<CtlResult> RunAsync(string program, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within 120s");
        }

        return new CtlResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs <paramref name="script"/> with sh as uid/gid 65534 (nobody), no supplementary groups.</summary>
    public static Task<CtlResult> AsNobodyAsync(string script) =>
        RunAsync("setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "sh", "-c", script);

    public static Task<CtlResult> ShAsync(string script) => RunAsync("sh", "-c", script);

    /// <summary>Asserts exit 0 and returns stdout.</summary>
    public static async Task<string> OkAsync(Task<CtlResult> run, string what)
    {
        var result = await run;
        Assert.True(result.Exit == 0, $"{what}: {result}");
        return result.Stdout;
    }
}
