namespace Mirror.Bench.Fio.Targets;

/// <summary>Mount point helpers shared by the FUSE targets.</summary>
internal static class FuseMount
{
    /// <summary>True when /proc/self/mountinfo lists <paramref name="mountpoint"/> as a mount point.</summary>
    public static bool IsMounted(string mountpoint)
    {
        var full = Path.GetFullPath(mountpoint).TrimEnd('/');
        return MountsUnder(full).Contains(full);
    }

    /// <summary>Mount points at or below <paramref name="dir"/>.</summary>
    public static IEnumerable<string> MountsUnder(string dir)
    {
        var full = Path.GetFullPath(dir).TrimEnd('/');
        return File.ReadLines("/proc/self/mountinfo")
            .Select(l => l.Split(' '))
            .Where(f => f.Length > 4)
            .Select(f => f[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(m => m == full || m.StartsWith(full + "/", StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>Waits until the mount appears (a mount helper may return before the kernel lists it).</summary>
    public static async Task WaitMountedAsync(string mountpoint, TimeSpan timeout, Func<bool> failed, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!IsMounted(mountpoint))
        {
            if (failed() || DateTime.UtcNow > deadline)
            {
                throw new TargetUnavailableException($"{mountpoint} did not get mounted within {timeout.TotalSeconds:F0} s");
            }

            await Task.Delay(100, ct);
        }
    }

    /// <summary>umount, then a lazy umount if the file system is still busy, so a failed run leaves no mount behind.</summary>
    public static async Task UnmountAsync(string mountpoint)
    {
        if (!IsMounted(mountpoint))
        {
            return;
        }

        var (code, _, err) = await Shell.TryRunAsync("umount", [mountpoint], CancellationToken.None);
        if (code != 0)
        {
            Console.Error.WriteLine($"bench: umount {mountpoint}: {err.Trim()}; detaching it (umount -l)");
            await Shell.TryRunAsync("umount", ["-l", mountpoint], CancellationToken.None);
        }
    }
}
