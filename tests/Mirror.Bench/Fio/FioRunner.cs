using System.Globalization;
using System.Text.Json;

namespace Mirror.Bench.Fio;

/// <summary>One fio job: a name, fio's rw mode and block size; random jobs stop at the runtime limit.</summary>
internal sealed record FioJob(string Name, string Rw, string BlockSize)
{
    public static readonly FioJob SeqWrite = new("seq-write", "write", "1M");
    public static readonly FioJob SeqRead = new("seq-read", "read", "1M");
    public static readonly FioJob RandRead = new("rand-read", "randread", "4k");
    public static readonly FioJob RandWrite = new("rand-write", "randwrite", "4k");

    public bool Writes => Rw.Contains("write", StringComparison.Ordinal);

    public bool Random => Rw.StartsWith("rand", StringComparison.Ordinal);
}

/// <summary>What fio reported for one job.</summary>
internal sealed record FioResult(double MiBPerSecond, double Iops, double Seconds);

/// <summary>
/// Runs fio with one job on one file and reads its JSON report. Every target gets the same command line:
/// psync, queue depth 1, one job, buffered I/O (direct=0); writes end with fsync (end_fsync=1, inside
/// fio's timed runtime), no preallocation (fallocate=none) so no file system is measured on a call others lack.
/// </summary>
internal static class FioRunner
{
    public static IReadOnlyList<string> Arguments(FioJob job, string file, long sizeMiB, int runtimeSeconds)
    {
        var args = new List<string>
        {
            "--output-format=json",
            $"--name={job.Name}",
            $"--filename={file}",
            $"--rw={job.Rw}",
            $"--bs={job.BlockSize}",
            $"--size={sizeMiB}M",
            "--ioengine=psync",
            "--iodepth=1",
            "--numjobs=1",
            "--direct=0",
            "--fallocate=none",
            "--invalidate=1",
        };
        if (job.Writes)
        {
            args.Add("--end_fsync=1");
        }

        if (job.Random)
        {
            args.Add($"--runtime={runtimeSeconds.ToString(CultureInfo.InvariantCulture)}");
            args.Add("--randrepeat=0");
        }

        return args;
    }

    public static async Task<FioResult> RunAsync(FioJob job, string file, long sizeMiB, int runtimeSeconds, CancellationToken ct)
    {
        var json = await Shell.RunAsync("fio", Arguments(job, file, sizeMiB, runtimeSeconds), ct);
        return Parse(json, job.Writes ? "write" : "read");
    }

    /// <summary>Reads bw_bytes and iops of <paramref name="direction"/> from fio's JSON (fio 3.x layout).</summary>
    public static FioResult Parse(string json, string direction)
    {
        // fio may print notes before the JSON document (e.g. "fio: file hash not empty").
        var start = json.IndexOf('{', StringComparison.Ordinal);
        if (start < 0)
        {
            throw new InvalidOperationException($"fio printed no JSON: {json.Trim()}");
        }

        using var doc = JsonDocument.Parse(json[start..]);
        var job = doc.RootElement.GetProperty("jobs")[0];
        if (job.GetProperty("error").GetInt32() != 0)
        {
            throw new InvalidOperationException($"fio job {job.GetProperty("jobname").GetString()} failed with error {job.GetProperty("error").GetInt32()}");
        }

        var d = job.GetProperty(direction);
        return new FioResult(
            d.GetProperty("bw_bytes").GetDouble() / (1 << 20),
            d.GetProperty("iops").GetDouble(),
            d.GetProperty("runtime").GetDouble() / 1000);
    }
}
