using System.Diagnostics;
using System.Text;
using Mirror.Cluster.Tests.Harness;
using Mirror.Fuse.Mount;

namespace Mirror.Posix.Tests.Harness;

/// <summary>
/// A real `mirrord mount` process on a fresh mountpoint under /tmp. Dispose sends SIGTERM to its pid, waits
/// for it to exit (SIGKILL by pid after a deadline), then makes sure nothing is mounted there any more
/// (umount2 MNT_DETACH) before it removes the empty mountpoint: a test never leaves a mount behind, even
/// when it fails.
/// </summary>
public sealed class MountProcess : IAsyncDisposable
{
    public const int Sigterm = 15;

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    private readonly StringBuilder log = new();
    private readonly string readyFile;

    private MountProcess(Process process, string mountpoint, string readyFile)
    {
        Process = process;
        Mountpoint = mountpoint;
        this.readyFile = readyFile;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public int Pid => Process.Id;

    public string Mountpoint { get; }

    public string Log
    {
        get { lock (log) { return log.ToString(); } }
    }

    /// <summary>The path of <paramref name="relative"/> inside the mount.</summary>
    public string this[string relative] => Path.Combine(Mountpoint, relative.TrimStart('/'));

    /// <summary>Starts `mirrord mount --mdt MDS --token-file F [--path P] [extra] MOUNTPOINT` and waits for its ready file (null path: give --volume in extra).</summary>
    public static async Task<MountProcess> StartAsync(LocalCluster cluster, string? path = "/", params string[] extra)
    {
        var mountpoint = Path.Combine(Path.GetTempPath(), "mirror-mnt-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(mountpoint);
        var ready = mountpoint + ".ready";
        string[] where = path is null ? [] : ["--path", path];
        string[] args = ["mount", "--mdt", cluster.MdsAddress, "--token-file", cluster.TokenFile, .. where, "--ready-file", ready, .. extra, mountpoint];
        var mount = new MountProcess(CtlRunner.StartDll("mirrord.dll", args), mountpoint, ready);
        try
        {
            await Wait.UntilAsync(() => File.Exists(ready) || mount.Process.HasExited, ReadyTimeout, $"mirrord mount on {mountpoint} to be ready");
            if (!File.Exists(ready))
            {
                throw new InvalidOperationException($"mirrord mount exited {mount.Process.ExitCode} before it was ready:\n{mount.Log}");
            }

            return mount;
        }
        catch
        {
            await mount.DisposeAsync();
            throw;
        }
    }

    /// <summary>The /metrics address the mount wrote into its ready file (http://HOST:PORT/).</summary>
    public Uri MetricsUri()
    {
        using var ready = System.Text.Json.JsonDocument.Parse(File.ReadAllText(readyFile));
        var metrics = ready.RootElement.GetProperty("metrics").GetString();
        return new Uri(metrics ?? throw new InvalidOperationException($"the ready file of {Mountpoint} names no metrics address"));
    }

    /// <summary>The mount's /metrics text.</summary>
    public async Task<string> MetricsAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return await http.GetStringAsync(new Uri(MetricsUri(), "metrics"));
    }

    /// <summary>The value of one sample line of /metrics (name with its labels as exported), 0 when absent.</summary>
    public async Task<double> MetricAsync(string series)
    {
        var prefix = series + " ";
        var line = (await MetricsAsync()).Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>FUSE requests of opcode <paramref name="op"/> (lower case: getattr, lookup) this mount has served.</summary>
    public Task<double> FuseOpsAsync(string op) => MetricAsync($"mirror_fuse_request_seconds_count{{op=\"{op}\"}}");

    /// <summary>This mount's line of /proc/self/mountinfo, or null when nothing is mounted on <see cref="Mountpoint"/>.</summary>
    public string? MountinfoLine() => MountinfoLine(Mountpoint);

    public static string? MountinfoLine(string mountpoint) =>
        File.ReadLines("/proc/self/mountinfo").FirstOrDefault(l => l.Split(' ')[4] == mountpoint);

    /// <summary>The mount source field of this mount (after the " - TYPE " separator).</summary>
    public MountSource Source()
    {
        var line = MountinfoLine() ?? throw new InvalidOperationException($"{Mountpoint} is not mounted");
        var tail = line[(line.IndexOf(" - ", StringComparison.Ordinal) + 3)..].Split(' ');
        Assert.Equal("fuse.mirror", tail[0]);
        return MountSource.TryParse(tail[1], out var source) ? source : throw new InvalidOperationException($"unparsable mount source '{tail[1]}'");
    }

    /// <summary>SIGTERM by pid and wait for the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        if (!Process.HasExited)
        {
            _ = Libc.Kill(Pid, Sigterm);
        }

        return await WaitForExitAsync();
    }

    public async Task<int> WaitForExitAsync()
    {
        using var deadline = new CancellationTokenSource(ExitTimeout);
        try
        {
            await Process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Process.Kill();
            await Process.WaitForExitAsync();
            throw new TimeoutException($"mirrord mount (pid {Pid}) did not exit within {ExitTimeout.TotalSeconds:0}s:\n{Log}");
        }

        return Process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                await TerminateAsync();
            }
        }
        finally
        {
            if (MountinfoLine() is not null)
            {
                _ = Libc.Umount2(Mountpoint, Libc.MntDetach);
            }

            if (MountinfoLine() is null && Directory.Exists(Mountpoint))
            {
                Directory.Delete(Mountpoint, recursive: false);
            }

            File.Delete(readyFile);
            Process.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.AppendLine(line);
            }
        }
    }
}
