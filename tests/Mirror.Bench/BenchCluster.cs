using System.Diagnostics;
using System.Text.Json;

namespace Mirror.Bench;

/// <summary>A local cluster of real processes (`mirrorctl local up`) in a scratch folder, torn down by PID.</summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private BenchCluster(string dir, string mdsAddress, string token, IReadOnlyList<(string Name, int Pid)> daemons)
    {
        Dir = dir;
        MdsAddress = mdsAddress;
        Token = token;
        Daemons = daemons;
    }

    public string Dir { get; }

    public string MdsAddress { get; }

    public string Token { get; }

    /// <summary>Each mirrord by role ("mds", "ost") and pid, for CPU accounting.</summary>
    public IReadOnlyList<(string Name, int Pid)> Daemons { get; }

    public static async Task<BenchCluster> StartAsync(string dir)
    {
        Directory.CreateDirectory(dir);
        await CtlAsync(dir, "local", "up", "--dir", dir);
        var status = await CtlAsync(dir, "local", "status", "--json", "--dir", dir);
        using var doc = JsonDocument.Parse(status);
        var mds = doc.RootElement.GetProperty("mds").GetString()!;
        var token = (await File.ReadAllTextAsync(doc.RootElement.GetProperty("token_file").GetString()!)).Trim();
        var daemons = doc.RootElement.GetProperty("processes").EnumerateArray()
            .Select(p => (p.GetProperty("role").GetString()!, p.GetProperty("pid").GetInt32()))
            .ToArray();
        return new BenchCluster(dir, mds, token, daemons);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CtlAsync(Dir, "local", "down", "--purge", "--dir", Dir);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"bench: local down failed: {e.Message}");
        }
    }

    private static async Task<string> CtlAsync(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mirrorctl.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["MIRROR_CLUSTER_DIR"] = dir;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"mirrorctl {string.Join(' ', args)} exited {p.ExitCode}: {await stderr}");
        }

        return await stdout;
    }
}
