namespace Mirror.Bench.Fio;

/// <summary>The machine-wide state the figures depend on: page cache and load.</summary>
internal static class Machine
{
    /// <summary>Writes dirty pages back, then drops the page, dentry and inode caches so the next read is cold.</summary>
    public static void DropCaches()
    {
        Sync();
        File.WriteAllText("/proc/sys/vm/drop_caches", "3\n");
    }

    /// <summary>The first three fields of /proc/loadavg (1, 5 and 15 minute load).</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    public static bool IsRoot => Environment.UserName == "root";

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sync")]
    private static extern void Sync();
}
