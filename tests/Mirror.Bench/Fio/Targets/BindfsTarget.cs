namespace Mirror.Bench.Fio.Targets;

/// <summary>
/// bindfs over a directory of the same disk: what FUSE itself costs (a passthrough server doing the least
/// a FUSE file system can do).
/// </summary>
internal sealed class BindfsTarget(string scratch) : IBenchTarget
{
    private readonly string source = Path.Combine(scratch, "bindfs-src");
    private readonly string mountpoint = Path.Combine(scratch, "bindfs-mnt");

    private System.Diagnostics.Process? process;

    public string Name => "bindfs";

    public async Task<string> SetUpAsync(CancellationToken ct)
    {
        if (!Shell.Exists("bindfs"))
        {
            throw new TargetUnavailableException("bindfs not installed (apt-get install bindfs)");
        }

        Directory.CreateDirectory(source);
        Directory.CreateDirectory(mountpoint);
        // -f: bindfs stays our child, so it is stopped by its PID.
        process = Shell.StartDaemon("bindfs", ["-f", source, mountpoint], Path.Combine(scratch, "bindfs.log"));
        await FuseMount.WaitMountedAsync(mountpoint, TimeSpan.FromSeconds(10), () => process.HasExited, ct);
        return mountpoint;
    }

    public async ValueTask DisposeAsync()
    {
        await FuseMount.UnmountAsync(mountpoint);
        if (process is not null)
        {
            Shell.Stop(process, TimeSpan.FromSeconds(5));
            process.Dispose();
        }

        foreach (var d in new[] { mountpoint, source })
        {
            if (Directory.Exists(d) && !FuseMount.IsMounted(d))
            {
                Directory.Delete(d, recursive: true);
            }
        }
    }
}
