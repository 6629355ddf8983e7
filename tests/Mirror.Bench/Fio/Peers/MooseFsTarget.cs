using System.Diagnostics;
using Mirror.Bench.Fio.Targets;

namespace Mirror.Bench.Fio.Peers;

/// <summary>
/// MooseFS from Debian's packages with goal 2: mfsmaster and two mfschunkservers, each on its own netns
/// host (chunkservers refuse a master on a loopback address), mfsmount in the root namespace. Daemons run
/// in the foreground as our children (-f) and are stopped by PID; config and data live in the scratch folder.
/// </summary>
internal sealed class MooseFsTarget(string scratch) : IBenchTarget
{
    private readonly string dir = Path.Combine(scratch, "moosefs");
    private readonly List<Process> daemons = [];
    private NetnsHosts? hosts;
    private Process? client;

    public string Name => FioTable.MooseFs;

    private string Mountpoint => Path.Combine(dir, "mnt");

    public async Task<string> SetUpAsync(CancellationToken ct)
    {
        foreach (var tool in new[] { "mfsmaster", "mfschunkserver", "mfsmount", "mfssetgoal" })
        {
            if (!Shell.Exists(tool))
            {
                throw new TargetUnavailableException($"{tool} not installed (apt-get install moosefs-master moosefs-chunkserver moosefs-client)");
            }
        }

        Directory.CreateDirectory(dir);
        hosts = new NetnsHosts("mfs", "10.213.7");
        await hosts.CreateBridgeAsync(ct);
        var (masterNs, masterIp) = await hosts.AddHostAsync("master", 1, ct);

        var master = Path.Combine(dir, "master");
        Directory.CreateDirectory(master);
        File.Copy("/var/lib/mfs/metadata.mfs.empty", Path.Combine(master, "metadata.mfs"));
        var exports = Write("mfsexports.cfg", "* / rw,alldirs,admin,maproot=0:0\n");
        var masterCfg = Write("mfsmaster.cfg", $"DATA_PATH = {master}\nEXPORTS_FILENAME = {exports}\nNICE_LEVEL = 0\n");
        await Shell.RunAsync("chown", ["-R", "mfs:mfs", master], ct);
        var masterLog = Path.Combine(dir, "mfsmaster.log");
        daemons.Add(Shell.StartDaemon("ip", ["netns", "exec", masterNs, "mfsmaster", "-f", "-c", masterCfg], masterLog));

        for (var i = 1; i <= 2; i++)
        {
            var (ns, _) = await hosts.AddHostAsync($"cs{i}", 1 + i, ct);
            var data = Path.Combine(dir, $"cs{i}");
            var hdd = Path.Combine(dir, $"hdd{i}");
            Directory.CreateDirectory(data);
            Directory.CreateDirectory(hdd);
            await Shell.RunAsync("chown", ["-R", "mfs:mfs", data, hdd], ct);
            var hddCfg = Write($"mfshdd{i}.cfg", hdd + "\n");
            var csCfg = Write($"mfschunkserver{i}.cfg",
                $"DATA_PATH = {data}\nHDD_CONF_FILENAME = {hddCfg}\nMASTER_HOST = {masterIp}\nNICE_LEVEL = 0\n");
            daemons.Add(Shell.StartDaemon("ip", ["netns", "exec", ns, "mfschunkserver", "-f", "-c", csCfg], Path.Combine(dir, $"mfschunkserver{i}.log")));
        }

        // The master logs each chunkserver once registered; data written before both are in gets one copy.
        await WaitAsync(() => File.Exists(masterLog) && ReadShared(masterLog).Split('\n').Count(l => l.Contains("chunkserver register end", StringComparison.Ordinal)) >= 2,
            "both chunkservers to register with mfsmaster", ct);

        Directory.CreateDirectory(Mountpoint);
        client = Shell.StartDaemon("mfsmount", ["-f", Mountpoint, "-H", masterIp], Path.Combine(dir, "mfsmount.log"));
        await FuseMount.WaitMountedAsync(Mountpoint, TimeSpan.FromSeconds(30), () => client.HasExited, ct);
        await Shell.RunAsync("mfssetgoal", ["-r", "2", Mountpoint], ct);
        return Mountpoint;
    }

    public async ValueTask DisposeAsync()
    {
        await FuseMount.UnmountAsync(Mountpoint);
        if (client is not null)
        {
            Shell.Stop(client, TimeSpan.FromSeconds(10));
        }

        // Chunkservers first, then the master (it saves its metadata on SIGTERM).
        foreach (var d in daemons.AsEnumerable().Reverse())
        {
            Shell.Stop(d, TimeSpan.FromSeconds(20));
            d.Dispose();
        }

        if (hosts is not null)
        {
            await hosts.DisposeAsync();
        }

        if (Directory.Exists(dir) && !FuseMount.MountsUnder(dir).Any())
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string ReadShared(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    private async Task WaitAsync(Func<bool> done, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!done())
        {
            if (DateTime.UtcNow > deadline || daemons.Any(d => d.HasExited))
            {
                throw new TargetUnavailableException($"timed out waiting for {what} (logs in {dir})");
            }

            await Task.Delay(200, ct);
        }
    }
}
