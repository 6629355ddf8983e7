using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Mirror.Bench;
using Mirror.Bench.Fio;
using Mirror.Client.Files;
using Mirror.Protocol.Mds;

// `Mirror.Bench fio ...`: the fio table (Fio/README.md); everything below is the client bench.
if (args.Length > 0 && args[0] == "fio")
{
    Environment.Exit(await FioBench.RunAsync(args[1..]));
}

// `make bench`: figures side by side in one run. Raw disk and our client write the same 1 MiB blocks and
// end with an fsync; reads are cold (page cache dropped first, when the machine lets us).
// Options: --size-mib N (sequential size, default 512), --files N (metadata ops, default 2000),
// --latency-ops N (4 KiB writes per latency figure, default 2000), --warmup-mib N (written to a 3-mirror
// file before any figure, default 128), --iwm-only (skip the FLR/metadata rows), --rand-only (only the
// 4 KiB random write-behind row, for profiling).
var sizeMiB = ArgInt("--size-mib", 512);
var files = ArgInt("--files", 2000);
var latencyOps = ArgInt("--latency-ops", 2000);
var iwmOnly = args.Contains("--iwm-only");
var randOnly = args.Contains("--rand-only");
using var allocations = args.Contains("--alloc-types") ? new AllocationSampler() : null;
var warmupMiB = ArgInt("--warmup-mib", 128);
var scratch = Path.Combine(Path.GetTempPath(), $"mirror-bench-{Environment.ProcessId}");
Directory.CreateDirectory(scratch);
var rows = new List<(string What, string Figure, string Cpu)>();
var block = new byte[ImmediateBench.MiB];
Random.Shared.NextBytes(block);
var total = (ulong)sizeMiB << 20;
var loadBefore = CpuMeter.LoadAverage();
var transport = "";

Console.WriteLine($"bench: {sizeMiB} MiB sequential in 1 MiB blocks, {latencyOps} 4 KiB writes per latency figure, {files} files for metadata; scratch {scratch}");
try
{
    // Raw disk: the same writer on a plain file in the same file system, then two files at once (what two
    // OSTs on this one disk compete for).
    var rawPath = Path.Combine(scratch, "raw.dat");
    var rawWrite = RawWrite([rawPath], total, block);
    rows.Add(("raw disk sequential write, 1 file (MiB/s)", F1(rawWrite), ""));
    // The OSTs write large aligned blocks with O_DIRECT; the disk's bandwidth is the better of the two ways.
    var rawDirect = RawWriteDirect(rawPath + ".direct", total, block);
    File.Delete(rawPath + ".direct");
    rows.Add(("raw disk sequential write, 1 file, O_DIRECT (MiB/s)", rawDirect is { } d ? F1(d) : "refused", ""));
    var rawBest = Math.Max(rawWrite, rawDirect ?? 0);
    var rawTwo = RawWrite([rawPath + ".a", rawPath + ".b"], total, block);
    rows.Add(("raw disk sequential write, 2 files at once (MiB/s, both together)", F1(rawTwo), ""));
    rows.Add(("  IWM goal for 2 mirrors: 80% of the better raw 1-file figure / 2 (MiB/s)", F1(rawBest / 2 * 0.8), ""));
    File.Delete(rawPath + ".a");
    File.Delete(rawPath + ".b");
    var cold = DropCaches();
    var sw = Stopwatch.StartNew();
    using (var h = File.OpenHandle(rawPath, FileMode.Open, FileAccess.Read))
    {
        var buf = new byte[block.Length];
        for (long off = 0; off < (long)total; off += buf.Length)
        {
            RandomAccess.Read(h, buf, off);
        }
    }

    rows.Add(($"raw disk sequential read{cold} (MiB/s)", Rate(sizeMiB, sw.Elapsed), ""));
    File.Delete(rawPath);

    await using var cluster = await BenchCluster.StartAsync(Path.Combine(scratch, "cluster"));
    await using var client = await MirrorClient.ConnectAsync(cluster.MdsAddress, cluster.Token);
    await using var oneAtATime = await MirrorClient.ConnectAsync(cluster.MdsAddress, cluster.Token, new MirrorClientOptions { MaxWritesInFlight = 1 });

    // Warm-up, not measured: the daemons were just started and would spend the first seconds compiling
    // (tiered JIT); the figures are meant for a running cluster.
    await ImmediateBench.SequentialWriteAsync(client, cluster, "/bench-warmup", ImmediateBench.Immediate(3), (ulong)warmupMiB << 20, block);
    await ImmediateBench.SmallWriteLatencyAsync(oneAtATime, "/bench-warmup-small", ImmediateBench.Immediate(3), 200);
    var connected = client.Targets is Mirror.Client.Targets.OstTargetSet set ? set.Connected : [];
    transport = $"OST Write/Read over {(connected.Count > 0 && connected.All(t => t.BulkAddress is not null) ? "the bulk data channel" : "gRPC (HTTP/2)")}";
    await client.UnlinkAsync("/bench-warmup");
    await client.UnlinkAsync("/bench-warmup-small");

    // Immediate Write Mirroring (issue: 1, 2, 3 IMMEDIATE mirrors, each on its own OST process).
    for (var n = 1; n <= (randOnly ? 0 : 3); n++)
    {
        var path = $"/bench-iwm{n}";
        var figure = await ImmediateBench.SequentialWriteAsync(client, cluster, path, ImmediateBench.Immediate(n), total, block);
        rows.Add(($"client sequential write, {n} IMMEDIATE mirror{(n > 1 ? "s" : "")} (MiB/s of file data)", F1(figure.MiBps), Cpu(figure)));
        if (n > 1)
        {
            var close = await ImmediateBench.EpochCloseAsync(client, path);
            rows.Add(($"  then AW release until the epoch is closed, {n} mirrors (ms)", close is { } c ? c.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture) : "no epoch", ""));
        }

        await client.UnlinkAsync(path);
    }

    foreach (var n in randOnly ? [] : new[] { 1, 2 })
    {
        var path = $"/bench-lat{n}";
        var lat = await ImmediateBench.SmallWriteLatencyAsync(oneAtATime, path, ImmediateBench.Immediate(n), latencyOps);
        rows.Add(($"4 KiB write latency p50 / p99, {n} IMMEDIATE mirror{(n > 1 ? "s" : "")}, one in flight (ms)",
            $"{ImmediateBench.Percentile(lat, 50):F2} / {ImmediateBench.Percentile(lat, 99):F2}", ""));
        await client.UnlinkAsync(path);
    }

    {
        allocations?.Recording = true;
        var (iops, clientUs, ostUs, allocBytes) = await ImmediateBench.RandomSmallWritesAsync(client, cluster, "/bench-rand2", ImmediateBench.Immediate(2), 64UL << 20, latencyOps * 5, block);
        rows.Add(("4 KiB random writes one after another, 2 IMMEDIATE mirrors, write-behind (IOPS; CPU µs per write)",
            iops.ToString("F0", CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture, $"{clientUs:F0} + {ostUs:F0}  (client allocates {allocBytes:F0} B per write)")));
        await client.UnlinkAsync("/bench-rand2");
        if (allocations is not null)
        {
            allocations.Recording = false;
            foreach (var (type, bytes) in allocations.Top(25))
            {
                Console.WriteLine($"alloc sample {bytes / 1024,8} KiB  {type}");
            }
        }
    }

    if (!iwmOnly && !randOnly)
    {
        await FlrAndMetadataAsync(client, cluster);
    }
}
finally
{
    var width = rows.Count == 0 ? 10 : rows.Max(r => r.What.Length);
    Console.WriteLine();
    Console.WriteLine($"{"what".PadRight(width)}  {"figure",13}  CPU ms per MiB (client + OSTs)");
    foreach (var (what, figure, cpu) in rows)
    {
        Console.WriteLine($"{what.PadRight(width)}  {figure,13}  {cpu}");
    }

    Console.WriteLine(transport);
    Console.WriteLine($"load average (1/5/15 min) before: {loadBefore}, after: {CpuMeter.LoadAverage()}; {Environment.ProcessorCount} CPUs");
    Directory.Delete(scratch, recursive: true);
}

async Task FlrAndMetadataAsync(MirrorClient client, BenchCluster cluster)
{
    foreach (var (name, spec) in new (string, LayoutSpec?)[]
    {
        ("plain file", null),
        ("2-mirror file (delayed write)", TwoMirrors()),
    })
    {
        var path = "/bench-" + name.Split(' ')[0];
        var figure = await ImmediateBench.SequentialWriteAsync(client, cluster, path, spec, total, block);
        rows.Add(($"client {name} sequential write (MiB/s)", F1(figure.MiBps), Cpu(figure)));
        var sw = Stopwatch.StartNew();
        if (spec is not null)
        {
            await client.ResyncAsync(path);
            rows.Add(($"client {name} resync of the stale mirror (MiB/s)", Rate(sizeMiB, sw.Elapsed), ""));
        }

        var cold = DropCaches();
        sw.Restart();
        await using (var f = await client.OpenAsync(path))
        {
            var buf = new byte[block.Length];
            for (ulong off = 0; off < total; off += (ulong)buf.Length)
            {
                await f.ReadAsync(off, buf);
            }
        }

        rows.Add(($"client {name} sequential read{cold} (MiB/s)", Rate(sizeMiB, sw.Elapsed), ""));
        await client.UnlinkAsync(path);
    }

    await client.MkdirAsync("/meta");
    var timer = Stopwatch.StartNew();
    for (var i = 0; i < files; i++)
    {
        await using var f = await client.CreateAsync($"/meta/f{i}");
    }

    rows.Add(("client create (ops/s)", Ops(files, timer.Elapsed), ""));
    timer.Restart();
    for (var i = 0; i < files; i++)
    {
        await client.StatAsync($"/meta/f{i}");
    }

    rows.Add(("client stat (ops/s)", Ops(files, timer.Elapsed), ""));
    timer.Restart();
    for (var i = 0; i < files; i++)
    {
        await client.UnlinkAsync($"/meta/f{i}");
    }

    rows.Add(("client unlink (ops/s)", Ops(files, timer.Elapsed), ""));
}

// Writes every path at once, each with `total` bytes; the aggregate MiB/s including the final fsyncs.
static double RawWrite(string[] paths, ulong total, byte[] block)
{
    var sw = Stopwatch.StartNew();
    Parallel.ForEach(paths, new ParallelOptions { MaxDegreeOfParallelism = paths.Length }, path =>
    {
        using var h = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        for (ulong off = 0; off < total; off += (ulong)block.Length)
        {
            RandomAccess.Write(h, block, (long)off);
        }

        RandomAccess.FlushToDisk(h);
    });
    return paths.Length * (total / (double)ImmediateBench.MiB) / sw.Elapsed.TotalSeconds;
}

// O_DIRECT from a page-aligned buffer, flushed at the end; null when the file system refuses O_DIRECT (tmpfs).
static unsafe double? RawWriteDirect(string path, ulong total, byte[] block)
{
    const FileOptions noBuffering = (FileOptions)0x20000000; // O_DIRECT on Linux
    var buffer = NativeMemory.AlignedAlloc((nuint)block.Length, 4096);
    try
    {
        block.CopyTo(new Span<byte>(buffer, block.Length));
        var aligned = new ReadOnlySpan<byte>(buffer, block.Length);
        var sw = Stopwatch.StartNew();
        using var h = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, noBuffering);
        for (ulong off = 0; off < total; off += (ulong)block.Length)
        {
            RandomAccess.Write(h, aligned, (long)off);
        }

        RandomAccess.FlushToDisk(h);
        return total / (double)ImmediateBench.MiB / sw.Elapsed.TotalSeconds;
    }
    catch (IOException)
    {
        return null;
    }
    finally
    {
        NativeMemory.AlignedFree(buffer);
    }
}

static LayoutSpec TwoMirrors()
{
    var spec = new LayoutSpec();
    foreach (var pool in new[] { "flash", "archive" })
    {
        var mirror = new MirrorSpec();
        mirror.Components.Add(new ComponentSpec { End = ulong.MaxValue, Pool = pool, StripeCount = 1 });
        spec.Mirrors.Add(mirror);
    }

    return spec;
}

static string F1(double value) => value.ToString("F1", CultureInfo.InvariantCulture);

static string Cpu(WriteFigure f) => string.Create(CultureInfo.InvariantCulture, $"{f.ClientCpuMsPerMiB:F2} + {f.OstCpuMsPerMiB:F2}  (client allocates {f.ClientAllocKiBPerMiB:F1} KiB per MiB)");

static string Rate(int mib, TimeSpan t) => (mib / t.TotalSeconds).ToString("F1", CultureInfo.InvariantCulture);

static string Ops(int n, TimeSpan t) => (n / t.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture);

// Cold reads need the page cache dropped; only root can, so say which kind of read was measured.
static string DropCaches()
{
    try
    {
        using (var h = File.OpenHandle("/proc/sys/vm/drop_caches", FileMode.Open, FileAccess.Write))
        {
            RandomAccess.Write(h, "3\n"u8.ToArray(), 0);
        }

        return " (cold)";
    }
    catch (Exception e) when (e is UnauthorizedAccessException or IOException)
    {
        return " (page cache warm)";
    }
}

int ArgInt(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
