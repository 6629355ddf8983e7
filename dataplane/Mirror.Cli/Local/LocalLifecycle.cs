using System.Security.Cryptography;
using Mirror.Core.Errors;

namespace Mirror.Cli.Local;

/// <summary>
/// up, start, stop, down. Each holds the cluster lock (DIR/.lock) so two of them never interleave, and
/// writes cluster.json after every change so a failure half way still leaves a file `down` can act on.
/// </summary>
internal static class LocalLifecycle
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RegisterTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> UpAsync(LocalArgs args, TextWriter stdout)
    {
        var dir = LocalCommand.ClusterDir(args);
        var osts = args.Int("--osts", ClusterPlan.DefaultOsts, 1, ClusterPlan.MaxOsts);
        var capacity = Capacity(args);
        var mdsOptions = MdsOptions.From(args); // bad values are usage errors before anything is created or started
        if (File.Exists(dir))
        {
            throw new MirrorException(Errno.ENOTDIR, $"--dir {dir}: is a file, not a folder for the cluster");
        }

        Directory.CreateDirectory(dir);
        using var held = ClusterLock.Acquire(dir);

        var cluster = ClusterState.Load(dir);
        if (cluster is null)
        {
            cluster = ClusterPlan.Create(dir, osts);
            await stdout.WriteLineAsync($"creating a cluster of 1 MDS and {osts} OSTs in {dir}").ConfigureAwait(false);
            if (!args.Has("--no-mount"))
            {
                if (DefaultMount.WhyNot() is { } why)
                {
                    await stdout.WriteLineAsync($"note: volume {DefaultMount.VolumeName} will not be mounted: {why} (--no-mount says you do not want it)").ConfigureAwait(false);
                }
                else
                {
                    DefaultMount.AddTo(cluster);
                }
            }
        }
        else if (args.Has("--osts") && cluster.Processes.Count(p => p.Role == "ost") != osts)
        {
            await stdout.WriteLineAsync($"note: the cluster in {dir} already exists with {cluster.Processes.Count(p => p.Role == "ost")} OSTs; --osts {osts} is ignored").ConfigureAwait(false);
        }

        if (mdsOptions.Count > 0)
        {
            var mdsRecord = cluster.Mds;
            mdsRecord.Options = MdsOptions.Merge(mdsRecord.Options, mdsOptions);
            if (DaemonProcesses.IsRunning(mdsRecord))
            {
                await stdout.WriteLineAsync($"note: {mdsRecord.Name} runs; {string.Join(' ', mdsOptions)} is recorded and applies when it starts again (local stop/start {mdsRecord.Name})").ConfigureAwait(false);
            }
        }

        EnsureToken(cluster.TokenFile);
        cluster.Save();

        var down = cluster.Processes.Where(p => !DaemonProcesses.IsRunning(p)).ToList();
        if (down.Count == 0)
        {
            await stdout.WriteLineAsync($"the cluster in {dir} is already running").ConfigureAwait(false);
            LocalStatus.WriteTable(cluster, stdout);
            return LocalCommand.ExitOk;
        }

        var launcher = DaemonLauncher.Locate();
        if (down.FirstOrDefault(p => p.Role == "mds") is { } mds)
        {
            await StartOneAsync(launcher, cluster, mds, stdout).ConfigureAwait(false);
        }

        var ostsDown = down.Where(p => p.Role == "ost").ToList();
        try
        {
            // OSTs start side by side: each .NET start costs a second or so of CPU.
            await Task.WhenAll(ostsDown.Select(p => StartOneAsync(launcher, cluster, p, stdout, save: false))).ConfigureAwait(false);
        }
        finally
        {
            cluster.Save();
        }

        var ostIndexes = cluster.Processes.Where(p => p.Role == "ost").Select(p => p.Index).ToList();
        await stdout.WriteLineAsync($"waiting for {ostIndexes.Count} OSTs to register with the MDS at {cluster.Mds.Address}").ConfigureAwait(false);
        await OstRegistration.WaitAsync(cluster.Mds.Address, ReadToken(cluster), ostIndexes, RegisterTimeout).ConfigureAwait(false);

        foreach (var mount in down.Where(p => p.Role == DefaultMount.Role))
        {
            await StartMountAsync(launcher, cluster, mount, capacity, stdout).ConfigureAwait(false);
        }

        await stdout.WriteLineAsync($"the cluster in {dir} is up").ConfigureAwait(false);
        LocalStatus.WriteTable(cluster, stdout);
        return LocalCommand.ExitOk;
    }

    public static async Task<int> StartAsync(LocalArgs args, TextWriter stdout)
    {
        var cluster = LoadExisting(args);
        using var held = ClusterLock.Acquire(cluster.Dir);
        var process = cluster.Find(args.Positionals[0]);
        if (DaemonProcesses.IsRunning(process))
        {
            await stdout.WriteLineAsync($"{process.Name} is already running (pid {process.Pid}, {process.Address})").ConfigureAwait(false);
            return LocalCommand.ExitOk;
        }

        if (process.Role == DefaultMount.Role)
        {
            await StartMountAsync(DaemonLauncher.Locate(), cluster, process, null, stdout).ConfigureAwait(false);
            return LocalCommand.ExitOk;
        }

        await StartOneAsync(DaemonLauncher.Locate(), cluster, process, stdout).ConfigureAwait(false);

        // An OST is useful once the MDS lists it; a restarted MDS once the running OSTs are back in it.
        var mds = cluster.Mds;
        if (DaemonProcesses.IsRunning(mds))
        {
            var indexes = process.Role == "ost"
                ? [process.Index]
                : cluster.Processes.Where(p => p.Role == "ost" && DaemonProcesses.IsRunning(p)).Select(p => p.Index).ToList();
            await OstRegistration.WaitAsync(mds.Address, ReadToken(cluster), indexes, RegisterTimeout).ConfigureAwait(false);
        }

        return LocalCommand.ExitOk;
    }

    public static async Task<int> StopAsync(LocalArgs args, TextWriter stdout)
    {
        var cluster = LoadExisting(args);
        using var held = ClusterLock.Acquire(cluster.Dir);
        var process = cluster.Find(args.Positionals[0]);
        await StopOneAsync(process, stdout).ConfigureAwait(false);
        if (process.Role == DefaultMount.Role)
        {
            DefaultMount.EnsureUnmounted(process.Data);
        }

        return LocalCommand.ExitOk;
    }

    public static async Task<int> DownAsync(LocalArgs args, TextWriter stdout)
    {
        var dir = LocalCommand.ClusterDir(args);
        var cluster = ClusterState.Load(dir);
        if (cluster is null)
        {
            await stdout.WriteLineAsync($"no cluster in {dir}; nothing to stop").ConfigureAwait(false);
            return LocalCommand.ExitOk;
        }

        using (ClusterLock.Acquire(dir))
        {
            // Mounts first (SIGTERM unmounts; a dead mount is detached), so nothing writes into a stopping
            // cluster and --purge never walks into a mount.
            foreach (var mount in cluster.Processes.Where(p => p.Role == DefaultMount.Role))
            {
                await StopOneAsync(mount, stdout).ConfigureAwait(false);
                DefaultMount.EnsureUnmounted(mount.Data);
            }

            // OSTs next: they heartbeat to the MDS, which would otherwise log them as lost one by one.
            await Task.WhenAll(cluster.Processes.Where(p => p.Role == "ost").Select(p => StopOneAsync(p, stdout))).ConfigureAwait(false);
            await Task.WhenAll(cluster.Processes.Where(p => p.Role == "mds").Select(p => StopOneAsync(p, stdout))).ConfigureAwait(false);
        }

        if (args.Has("--purge"))
        {
            Directory.Delete(dir, recursive: true);
            await stdout.WriteLineAsync($"the cluster is down; removed {dir}").ConfigureAwait(false);
        }
        else
        {
            await stdout.WriteLineAsync($"the cluster is down; its data stays in {dir} (`mirrorctl local up` starts it again)").ConfigureAwait(false);
        }

        return LocalCommand.ExitOk;
    }

    private static async Task StartOneAsync(DaemonLauncher launcher, ClusterState cluster, ClusterProcess process, TextWriter stdout, bool save = true)
    {
        await WriteLineAsync(stdout, $"starting {process.Name} ({process.Role}{(process.Address.Length > 0 ? " on " + process.Address : "")})").ConfigureAwait(false);
        try
        {
            await launcher.StartAsync(cluster, process, DaemonLauncher.ReadyTimeout).ConfigureAwait(false);
        }
        finally
        {
            if (save)
            {
                cluster.Save();
            }
        }

        await WriteLineAsync(stdout, $"{process.Name} ready on {process.Address} (pid {process.Pid})").ConfigureAwait(false);
    }

    /// <summary>Creates the default volume if needed, clears a dead mount left on the mountpoint, and starts the mount.</summary>
    private static async Task StartMountAsync(DaemonLauncher launcher, ClusterState cluster, ClusterProcess mount, ulong? capacity, TextWriter stdout)
    {
        await DefaultMount.EnsureVolumeAsync(cluster, ReadToken(cluster), capacity, stdout).ConfigureAwait(false);
        DefaultMount.EnsureUnmounted(mount.Data);
        await StartOneAsync(launcher, cluster, mount, stdout).ConfigureAwait(false);
        await WriteLineAsync(stdout, $"volume {DefaultMount.VolumeName} is mounted on {mount.Data}").ConfigureAwait(false);
    }

    private static ulong? Capacity(LocalArgs args)
    {
        if (args.Value("--capacity") is not { } text)
        {
            return null;
        }

        return Parsing.Values.TryParseSize(text, out var bytes) && bytes > 0
            ? bytes
            : throw new LocalUsageException($"--capacity '{text}' is not a size (e.g. 10G)");
    }

    private static async Task StopOneAsync(ClusterProcess process, TextWriter stdout)
    {
        var pid = process.Pid;
        var stopped = await DaemonProcesses.StopAsync(process, StopGrace).ConfigureAwait(false);
        await WriteLineAsync(stdout, stopped ? $"stopped {process.Name} (pid {pid})" : $"{process.Name} is not running").ConfigureAwait(false);
    }

    private static ClusterState LoadExisting(LocalArgs args)
    {
        var dir = LocalCommand.ClusterDir(args);
        return ClusterState.Load(dir)
            ?? throw new MirrorException(Errno.ENOENT, $"no cluster in {dir}: run `mirrorctl local up`");
    }

    /// <summary>32 random bytes as hex, readable by the owner only; created once, kept across restarts.</summary>
    private static void EnsureToken(string path)
    {
        if (File.Exists(path))
        {
            return;
        }

        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, options);
        writer.WriteLine(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
    }

    private static string ReadToken(ClusterState cluster) => File.ReadAllText(cluster.TokenFile).Trim();

    // Parallel starts and stops report on one writer.
    private static async Task WriteLineAsync(TextWriter writer, string line)
    {
        Task write;
        lock (writer)
        {
            write = writer.WriteLineAsync(line);
        }

        await write.ConfigureAwait(false);
    }
}
