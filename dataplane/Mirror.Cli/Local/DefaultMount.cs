using System.Runtime.InteropServices;
using Mirror.Cli.Mounts;
using Mirror.Client.Files;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;

namespace Mirror.Cli.Local;

/// <summary>
/// The local cluster's default mount: a volume <see cref="VolumeName"/> (two IMMEDIATE mirrors when there
/// are two OSTs or more) mounted by a `mirrord mount` process at DIR/mnt/default, recorded in
/// cluster.json as the process "mount-default" so `status`, `stop`, `start` and `down` treat it like the
/// other daemons. Only when running as root with a working /dev/fuse; `up --no-mount` leaves it out.
/// </summary>
internal static partial class DefaultMount
{
    public const string VolumeName = "default";
    public const string Role = "mount";
    public const string ProcessName = "mount-" + VolumeName;

    private const int MntDetach = 2;

    public static string MountPointIn(string dir) => Path.Combine(dir, "mnt", VolumeName);

    /// <summary>Null when this process can mount (root, /dev/fuse opens read-write), else why not.</summary>
    public static string? WhyNot()
    {
        if (GetEuid() != 0)
        {
            return "not running as root";
        }

        try
        {
            using var fuse = File.OpenHandle("/dev/fuse", FileMode.Open, FileAccess.ReadWrite);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"/dev/fuse cannot be opened ({e.Message})";
        }
    }

    /// <summary>Adds the mount process to a new cluster's plan.</summary>
    public static void AddTo(ClusterState cluster)
    {
        var mountpoint = MountPointIn(cluster.Dir);
        cluster.Processes.Add(new ClusterProcess
        {
            Name = ProcessName,
            Role = Role,
            Data = mountpoint,
            Log = Path.Combine(cluster.Dir, "logs", ProcessName + ".log"),
        });
        cluster.Mountpoints.Add(mountpoint);
    }

    /// <summary>
    /// `mirrord mount --volume default --mdt MDS --token-file F --metrics 127.0.0.1:PORT --ready-file R MOUNTPOINT`;
    /// PORT is the recorded one on a restart (like the other processes' metrics ports), else 0 (ephemeral).
    /// </summary>
    public static List<string> Arguments(ClusterState cluster, ClusterProcess process, string readyFile)
    {
        var metricsPort = Uri.TryCreate(process.Metrics, UriKind.Absolute, out var metrics) ? metrics.Port : 0;
        return [Role, "--volume", VolumeName, "--mdt", cluster.Mds.Address, "--token-file", cluster.TokenFile,
            "--metrics", $"127.0.0.1:{metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}", "--ready-file", readyFile, process.Data];
    }

    /// <summary>
    /// Creates the volume unless it exists. Capacity: <paramref name="capacity"/>, else the free space of
    /// the file system holding the cluster folder (statfs), the most the OSTs there could hold.
    /// </summary>
    public static async Task EnsureVolumeAsync(ClusterState cluster, string token, ulong? capacity, TextWriter stdout)
    {
        await using var client = await MirrorClient.ConnectAsync(cluster.Mds.Address, token).ConfigureAwait(false);
        try
        {
            await client.Mds.GetVolumeAsync(VolumeName).ConfigureAwait(false);
            return;
        }
        catch (MirrorException e) when (e.Errno == Errno.ENOENT)
        {
        }

        var bytes = capacity ?? FreeSpace(cluster.Dir);
        var mirrors = Math.Min(2, cluster.Processes.Count(p => p.Role == "ost"));
        await client.Mds.CreateVolumeAsync(VolumeName, bytes, "local", Layout(mirrors)).ConfigureAwait(false);
        await stdout.WriteLineAsync($"created volume {VolumeName} ({Parsing.Values.FormatSize(bytes)}, {mirrors} IMMEDIATE mirror{(mirrors == 1 ? "" : "s")} per file)").ConfigureAwait(false);
    }

    /// <summary>Whether anything is mounted on <paramref name="mountpoint"/> now.</summary>
    public static bool IsMounted(string mountpoint) =>
        MountInfo.ReadCurrent().Any(m => m.MountPoint == mountpoint);

    /// <summary>
    /// Detaches whatever is still mounted there (a mount process killed -9 leaves a dead mount behind:
    /// ENOTCONN for every access, and `down --purge` must not walk into it).
    /// </summary>
    public static void EnsureUnmounted(string mountpoint)
    {
        if (IsMounted(mountpoint) && Umount2(mountpoint, MntDetach) != 0 && IsMounted(mountpoint))
        {
            throw new MirrorException(Errno.EBUSY, $"{mountpoint} is still mounted and umount2 failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>statfs(2) f_bavail × f_bsize of the file system holding <paramref name="dir"/>, at least 1 GiB.</summary>
    private static ulong FreeSpace(string dir)
    {
        try
        {
            return (ulong)Math.Max(1L << 30, new DriveInfo(dir).AvailableFreeSpace);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new MirrorException(Errno.EIO, $"cannot read the free space of {dir} ({e.Message}); pass --capacity SIZE");
        }
    }

    private static LayoutSpec Layout(int mirrors)
    {
        var spec = new LayoutSpec();
        for (var i = 0; i < mirrors; i++)
        {
            var mirror = new MirrorSpec { Flags = (uint)MirrorFlags.Immediate };
            mirror.Components.Add(new ComponentSpec { End = ulong.MaxValue });
            spec.Mirrors.Add(mirror);
        }

        return spec;
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);
}
