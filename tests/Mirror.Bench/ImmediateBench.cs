using System.Diagnostics;
using Mirror.Client.Files;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;

namespace Mirror.Bench;

/// <summary>A sequential write: its rate and the CPU it cost per MiB of file data, in the client and in all OSTs together.</summary>
internal sealed record WriteFigure(double MiBps, double ClientCpuMsPerMiB, double OstCpuMsPerMiB, double ClientAllocKiBPerMiB);

/// <summary>
/// Immediate Write Mirroring figures (IWM §1.2): files with N single-stripe IMMEDIATE mirrors on OSTs
/// 0..N-1 (separate mirrord processes, one disk), written through a real client.
/// </summary>
internal static class ImmediateBench
{
    public const int MiB = 1 << 20;

    /// <summary>N single-stripe mirrors on OSTs 0..N-1, flagged IMMEDIATE (`--flags=immediate`).</summary>
    public static LayoutSpec Immediate(int mirrors)
    {
        var spec = new LayoutSpec();
        for (var i = 0; i < mirrors; i++)
        {
            var component = new ComponentSpec { End = LayoutComponent.EndOfFile, StripeCount = 1, StripeSize = MiB };
            component.Osts.Add((uint)i);
            var mirror = new MirrorSpec { Flags = (uint)MirrorFlags.Immediate };
            mirror.Components.Add(component);
            spec.Mirrors.Add(mirror);
        }

        return spec;
    }

    /// <summary>Writes <paramref name="total"/> bytes in <paramref name="block"/>s, fsyncs and closes; the file stays.</summary>
    public static async Task<WriteFigure> SequentialWriteAsync(MirrorClient client, BenchCluster cluster, string path, LayoutSpec? spec, ulong total, byte[] block)
    {
        var cpu = CpuMeter.Start(cluster.Daemons.Append(("client", Environment.ProcessId)));
        var allocated = GC.GetTotalAllocatedBytes();
        var sw = Stopwatch.StartNew();
        await using (var f = await client.CreateAsync(path, spec))
        {
            for (ulong off = 0; off < total; off += (ulong)block.Length)
            {
                await f.WriteAsync(off, block);
            }

            await f.FsyncAsync();
        }

        var elapsed = sw.Elapsed;
        var used = cpu.Elapsed();
        var mib = total / (double)MiB;
        return new WriteFigure(mib / elapsed.TotalSeconds, used["client"] * 1000 / mib, used.GetValueOrDefault("ost") * 1000 / mib, (GC.GetTotalAllocatedBytes() - allocated) / 1024.0 / mib);
    }

    /// <summary>
    /// Latency of <paramref name="count"/> 4 KiB writes, one at a time: the client keeps one write in flight
    /// (MaxWritesInFlight = 1), so each write returns once the previous one was acknowledged by every mirror
    /// it went to; the gap between two returns is one write's latency. Returns the sorted latencies.
    /// </summary>
    public static async Task<double[]> SmallWriteLatencyAsync(MirrorClient oneAtATime, string path, LayoutSpec? spec, int count)
    {
        var block = new byte[4096];
        Random.Shared.NextBytes(block);
        var latencies = new double[count];
        await using (var f = await oneAtATime.CreateAsync(path, spec))
        {
            // The first write pays for the layout lock and the AW epoch; it is not counted.
            await f.WriteAsync(0, block);
            var last = Stopwatch.GetTimestamp();
            for (var i = 0; i <= count; i++)
            {
                await f.WriteAsync((ulong)(i + 1) * (ulong)block.Length, block);
                var now = Stopwatch.GetTimestamp();
                if (i > 0)
                {
                    latencies[i - 1] = Stopwatch.GetElapsedTime(last, now).TotalMilliseconds;
                }

                last = now;
            }

            await f.FsyncAsync();
        }

        Array.Sort(latencies);
        return latencies;
    }

    /// <summary>
    /// 4 KiB writes at random 4 KiB-aligned offsets of a file of <paramref name="fileBytes"/>, issued one after
    /// the other as FUSE sends them (each waits for the previous WriteAsync to return, not for the OSTs):
    /// what the write-behind window makes of small writes. The file is laid out first (as fio does), so no
    /// write extends it; ends with an fsync, which is counted. Returns writes per second and the CPU per write
    /// in µs (client, all OSTs).
    /// </summary>
    public static async Task<(double Iops, double ClientCpuUs, double OstCpuUs, double ClientAllocBytes)> RandomSmallWritesAsync(
        MirrorClient client, BenchCluster cluster, string path, LayoutSpec? spec, ulong fileBytes, int count, byte[] layoutBlock)
    {
        var block = new byte[4096];
        Random.Shared.NextBytes(block);
        var random = new Random(42);
        var blocks = (long)(fileBytes / (ulong)block.Length);
        await using var f = await client.CreateAsync(path, spec);
        for (ulong off = 0; off < fileBytes; off += (ulong)layoutBlock.Length)
        {
            await f.WriteAsync(off, layoutBlock);
        }

        await f.FsyncAsync();
        var cpu = CpuMeter.Start(cluster.Daemons.Append(("client", Environment.ProcessId)));
        var allocated = GC.GetTotalAllocatedBytes();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await f.WriteAsync((ulong)random.NextInt64(blocks) * (ulong)block.Length, block);
        }

        await f.FsyncAsync();
        var elapsed = sw.Elapsed;
        var used = cpu.Elapsed();
        return (count / elapsed.TotalSeconds, used["client"] * 1e6 / count, used.GetValueOrDefault("ost") * 1e6 / count, (GC.GetTotalAllocatedBytes() - allocated) / (double)count);
    }

    /// <summary>
    /// The time from releasing the AW lock of an open epoch (IWM §2.2.6: drain, commit-before-release Sync of
    /// the OSTs behind, LockCancel) until the MDS's layout shows every mirror readable again (epoch closed).
    /// </summary>
    public static async Task<TimeSpan?> EpochCloseAsync(MirrorClient client, string path)
    {
        var layout = await client.GetLayoutAsync(path);
        if (client.Locks?.For(layout.Attr.Fid).ActiveWriter is not { } aw)
        {
            return null;
        }

        var sw = Stopwatch.StartNew();
        await client.Locks.ReleaseAsync(aw, "bench");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if ((await client.GetLayoutAsync(path)).Layout.Mirrors.All(m => m.IsReadable))
            {
                return sw.Elapsed;
            }

            await Task.Delay(1);
        }

        throw new TimeoutException($"{path}: the epoch did not close within 60 s of the AW release");
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
