using System.Globalization;

namespace Mirror.Bench;

/// <summary>
/// CPU time (user + system, all threads) of a set of processes, from /proc/PID/stat fields 14 and 15
/// (proc(5)); clock ticks are 1/100 s on Linux. Used to state the CPU cost per MiB moved, which the load
/// of other work on the machine disturbs far less than a rate does.
/// </summary>
internal sealed class CpuMeter
{
    private const double TicksPerSecond = 100;
    private readonly (string Name, int Pid)[] processes;
    private readonly double[] start;

    private CpuMeter((string Name, int Pid)[] processes)
    {
        this.processes = processes;
        start = processes.Select(p => Seconds(p.Pid)).ToArray();
    }

    public static CpuMeter Start(IEnumerable<(string Name, int Pid)> processes) => new([.. processes]);

    /// <summary>CPU seconds each process used since <see cref="Start"/>, by name (same names add up).</summary>
    public Dictionary<string, double> Elapsed()
    {
        var used = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < processes.Length; i++)
        {
            used[processes[i].Name] = used.GetValueOrDefault(processes[i].Name) + Seconds(processes[i].Pid) - start[i];
        }

        return used;
    }

    /// <summary>"/proc/loadavg"'s first three numbers: the load the figures were taken under.</summary>
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

    private static double Seconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state): utime is field 14, stime field 15.
            var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
            var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (utime + stime) / TicksPerSecond;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
