using System.Diagnostics;
using System.Globalization;
using Mirror.Bench;
using Mirror.Bench.Fio;
using Mirror.Client.Files;
using Mirror.Protocol.Mds;

// `Mirror.Bench fio ...`: the fio table (Fio/README.md); everything below is the client bench.
if (args.Length > 0 && args[0] == "fio")
{
    Environment.Exit(await FioBench.RunAsync(args[1..]));
}

// `make bench`: figures side by side in one run. Raw disk and our client write the same 1 MiB blocks;
// reads are cold (page cache dropped first, when the machine lets us).
var sizeMiB = ArgInt("--size-mib", 512);
var files = ArgInt("--files", 2000);
var scratch = Path.Combine(Path.GetTempPath(), $"mirror-bench-{Environment.ProcessId}");
Directory.CreateDirectory(scratch);
var rows = new List<(string What, string Figure)>();
var block = new byte[1 << 20];
Random.Shared.NextBytes(block);
var total = (ulong)sizeMiB << 20;

Console.WriteLine($"bench: {sizeMiB} MiB sequential in 1 MiB blocks, {files} files for metadata; scratch {scratch}");
try
{
    // Raw disk: the same writer on a plain file in the same file system.
    var rawPath = Path.Combine(scratch, "raw.dat");
    var sw = Stopwatch.StartNew();
    using (var h = File.OpenHandle(rawPath, FileMode.Create, FileAccess.ReadWrite))
    {
        for (ulong off = 0; off < total; off += (ulong)block.Length)
        {
            RandomAccess.Write(h, block, (long)off);
        }

        RandomAccess.FlushToDisk(h);
    }

    rows.Add(("raw disk sequential write (MiB/s)", Rate(sizeMiB, sw.Elapsed)));
    var cold = DropCaches();
    sw.Restart();
    using (var h = File.OpenHandle(rawPath, FileMode.Open, FileAccess.Read))
    {
        var buf = new byte[block.Length];
        for (long off = 0; off < (long)total; off += buf.Length)
        {
            RandomAccess.Read(h, buf, off);
        }
    }

    rows.Add(($"raw disk sequential read{cold} (MiB/s)", Rate(sizeMiB, sw.Elapsed)));
    File.Delete(rawPath);

    await using var cluster = await BenchCluster.StartAsync(Path.Combine(scratch, "cluster"));
    await using var client = await MirrorClient.ConnectAsync(cluster.MdsAddress, cluster.Token);

    foreach (var (name, spec) in new (string, LayoutSpec?)[]
    {
        ("plain file", null),
        ("2-mirror file (delayed write)", TwoMirrors()),
    })
    {
        var path = "/bench-" + name.Split(' ')[0];
        sw.Restart();
        await using (var f = await client.CreateAsync(path, spec))
        {
            for (ulong off = 0; off < total; off += (ulong)block.Length)
            {
                await f.WriteAsync(off, block);
            }

            await f.FsyncAsync();
        }

        rows.Add(($"client {name} sequential write (MiB/s)", Rate(sizeMiB, sw.Elapsed)));
        if (spec is not null)
        {
            sw.Restart();
            await client.ResyncAsync(path);
            rows.Add(($"client {name} resync of the stale mirror (MiB/s)", Rate(sizeMiB, sw.Elapsed)));
        }

        cold = DropCaches();
        sw.Restart();
        await using (var f = await client.OpenAsync(path))
        {
            var buf = new byte[block.Length];
            for (ulong off = 0; off < total; off += (ulong)buf.Length)
            {
                await f.ReadAsync(off, buf);
            }
        }

        rows.Add(($"client {name} sequential read{cold} (MiB/s)", Rate(sizeMiB, sw.Elapsed)));
        await client.UnlinkAsync(path);
    }

    await client.MkdirAsync("/meta");
    sw.Restart();
    for (var i = 0; i < files; i++)
    {
        await using var f = await client.CreateAsync($"/meta/f{i}");
    }

    rows.Add(("client create (ops/s)", Ops(files, sw.Elapsed)));
    sw.Restart();
    for (var i = 0; i < files; i++)
    {
        await client.StatAsync($"/meta/f{i}");
    }

    rows.Add(("client stat (ops/s)", Ops(files, sw.Elapsed)));
    sw.Restart();
    for (var i = 0; i < files; i++)
    {
        await client.UnlinkAsync($"/meta/f{i}");
    }

    rows.Add(("client unlink (ops/s)", Ops(files, sw.Elapsed)));
}
finally
{
    var width = rows.Count == 0 ? 10 : rows.Max(r => r.What.Length);
    Console.WriteLine();
    foreach (var (what, figure) in rows)
    {
        Console.WriteLine($"{what.PadRight(width)}  {figure,10}");
    }

    Directory.Delete(scratch, recursive: true);
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
