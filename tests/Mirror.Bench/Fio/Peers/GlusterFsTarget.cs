using System.Diagnostics;
using System.Globalization;
using Mirror.Bench.Fio.Targets;

namespace Mirror.Bench.Fio.Peers;

/// <summary>
/// GlusterFS from Debian's packages, replica 2: a glusterd of our own (working directory in the scratch
/// folder, in the foreground, our child), a volume of two bricks on this host named by the machine's
/// hostname (the CLI refuses 127.0.0.1 and localhost), and the FUSE client glusterfs as our child — the
/// command `mount -t glusterfs HOST:/V MNT` runs, kept in the foreground so it is stopped by PID.
/// </summary>
internal sealed class GlusterFsTarget(string scratch) : IBenchTarget
{
    private readonly string dir = Path.Combine(scratch, "glusterfs");
    private readonly string volume = "benchfio" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
    private Process? glusterd;
    private Process? client;
    private bool created;
    private HashSet<string>? runFilesBefore;

    private const string RunDir = "/var/run/gluster";

    public string Name => FioTable.GlusterFs;

    private string Mountpoint => Path.Combine(dir, "mnt");

    private string[] Bricks => [Path.Combine(dir, "brick1"), Path.Combine(dir, "brick2")];

    public async Task<string> SetUpAsync(CancellationToken ct)
    {
        foreach (var tool in new[] { "glusterd", "gluster", "glusterfs" })
        {
            if (!Shell.Exists(tool))
            {
                throw new TargetUnavailableException($"{tool} not installed (apt-get install glusterfs-server glusterfs-client)");
            }
        }

        if ((await Cli(ct, "volume", "list")).Code == 0)
        {
            throw new TargetUnavailableException("a glusterd already runs on this machine; the bench starts its own");
        }

        runFilesBefore = RunFiles();
        var workdir = Path.Combine(dir, "glusterd");
        Directory.CreateDirectory(workdir);
        var vol = Path.Combine(dir, "glusterd.vol");
        await File.WriteAllTextAsync(vol, $"""
            volume management
                type mgmt/glusterd
                option working-directory {workdir}
                option transport-type socket
                option transport.socket.listen-port 24007
                option ping-timeout 0
                option event-threads 1
            end-volume

            """, ct);
        glusterd = Shell.StartDaemon("glusterd", ["-N", "-f", vol, "-l", Path.Combine(dir, "glusterd.log"), "-p", Path.Combine(dir, "glusterd.pid")],
            Path.Combine(dir, "glusterd.out"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await Cli(ct, "volume", "list")).Code != 0)
        {
            if (glusterd.HasExited || DateTime.UtcNow > deadline)
            {
                throw new TargetUnavailableException($"glusterd did not answer within 60 s (log {dir}/glusterd.log)");
            }

            await Task.Delay(200, ct);
        }

        var host = System.Net.Dns.GetHostName();
        foreach (var b in Bricks)
        {
            Directory.CreateDirectory(b);
        }

        // force: the bricks are on the root file system, which gluster warns about.
        await CliOk(ct, ["volume", "create", volume, "replica", "2", .. Bricks.Select(b => $"{host}:{b}"), "force"]);
        created = true;
        await CliOk(ct, ["volume", "start", volume]);
        Directory.CreateDirectory(Mountpoint);
        client = Shell.StartDaemon("glusterfs",
            ["-N", "--process-name", "fuse", $"--volfile-server={host}", $"--volfile-id=/{volume}", "-l", Path.Combine(dir, "client.log"), Mountpoint],
            Path.Combine(dir, "client.out"));
        await FuseMount.WaitMountedAsync(Mountpoint, TimeSpan.FromSeconds(30), () => client.HasExited, ct);
        return Mountpoint;
    }

    public async ValueTask DisposeAsync()
    {
        await FuseMount.UnmountAsync(Mountpoint);
        if (client is not null)
        {
            Shell.Stop(client, TimeSpan.FromSeconds(10));
            client.Dispose();
        }

        if (created)
        {
            await Cli(CancellationToken.None, "volume", "stop", volume);
            await Cli(CancellationToken.None, "volume", "delete", volume);
        }

        // Brick and self-heal processes glusterd spawned for our volume, if it could not stop them itself.
        foreach (var pidFile in new[] { $"/var/run/gluster/vols/{volume}", $"/var/run/gluster/shd/{volume}" }
                     .Where(Directory.Exists).SelectMany(d => Directory.GetFiles(d, "*.pid")))
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
            {
                await Shell.StopPidAsync(pid, TimeSpan.FromSeconds(10));
            }
        }

        if (glusterd is not null)
        {
            Shell.Stop(glusterd, TimeSpan.FromSeconds(10));
            glusterd.Dispose();
        }

        // Sockets, pid files and folders our glusterd and its bricks left in the shared run folder.
        if (runFilesBefore is not null)
        {
            foreach (var f in RunFiles().Except(runFilesBefore).OrderByDescending(f => f.Length))
            {
                if (File.Exists(f))
                {
                    File.Delete(f);
                }
                else if (Directory.Exists(f) && !Directory.EnumerateFileSystemEntries(f).Any())
                {
                    Directory.Delete(f);
                }
            }
        }

        // glusterd writes brick logs under /var/log/glusterfs/bricks, named after the brick path.
        foreach (var b in Bricks)
        {
            var log = Path.Combine("/var/log/glusterfs/bricks", b.TrimStart('/').Replace('/', '-') + ".log");
            if (File.Exists(log))
            {
                File.Delete(log);
            }
        }

        if (Directory.Exists(dir) && !FuseMount.MountsUnder(dir).Any())
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static HashSet<string> RunFiles() =>
        Directory.Exists(RunDir) ? Directory.EnumerateFileSystemEntries(RunDir, "*", SearchOption.AllDirectories).ToHashSet(StringComparer.Ordinal) : [];

    private static Task<(int Code, string Stdout, string Stderr)> Cli(CancellationToken ct, params string[] args) =>
        Shell.TryRunAsync("gluster", ["--mode=script", .. args], ct);

    private static Task<string> CliOk(CancellationToken ct, string[] args) => Shell.RunAsync("gluster", ["--mode=script", .. args], ct);
}
