using System.Runtime.InteropServices;
using Mirror.Bench.Fio.Peers;
using Mirror.Bench.Fio.Targets;

namespace Mirror.Bench.Fio;

/// <summary>
/// `Mirror.Bench fio`: the same fio jobs and metadata loop on the raw disk, bindfs, our mount with 1 and 2
/// IMMEDIATE mirrors and (--peers) MooseFS and GlusterFS, one target after the other, then one table.
/// </summary>
internal static class FioBench
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        FioOptions options;
        try
        {
            options = FioOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        if (!Machine.IsRoot || !Shell.Exists("fio"))
        {
            Console.Error.WriteLine("bench fio: needs root (drop_caches, mounts) and fio on PATH (apt-get install fio bindfs fuse3)");
            return 1;
        }

        // Ctrl-C or SIGTERM cancels the running job; the finally blocks then unmount and stop what was started.
        using var cts = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Cancel(c, cts));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Cancel(c, cts));
        var scratch = Path.Combine(options.Scratch, $"mirror-fio-{Environment.ProcessId}");
        Directory.CreateDirectory(scratch);
        Console.WriteLine($"bench fio: scratch {scratch}, load {Machine.LoadAverage()} (1/5/15 min)");
        var results = new List<TargetFigures>();
        var fioVersion = (await Shell.TryRunAsync("fio", ["--version"], CancellationToken.None)).Stdout;
        try
        {
            await using var cluster = new MirrorClusterHost(scratch);
            var targets = new List<(string Key, Func<IBenchTarget> Make)>
            {
                ("raw", () => new RawTarget(scratch)),
                ("bindfs", () => new BindfsTarget(scratch)),
                ("mirror1", () => new MirrorMountTarget(cluster, scratch, 1)),
                ("mirror2", () => new MirrorMountTarget(cluster, scratch, 2)),
            };
            if (options.Peers)
            {
                targets.Add(("moosefs", () => new MooseFsTarget(scratch)));
                targets.Add(("glusterfs", () => new GlusterFsTarget(scratch)));
            }

            foreach (var (key, make) in targets.Where(t => options.Wants(t.Key)))
            {
                await using var target = make();
                results.Add(await MeasureAsync(target, options, cts.Token));
            }
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("bench fio: interrupted; everything started was stopped");
            return 130;
        }
        finally
        {
            Console.WriteLine();
            Console.WriteLine(FioTable.Render(results, options, fioVersion));
            Console.WriteLine($"load (1/5/15 min) at the end: {Machine.LoadAverage()}; figures on a shared machine are noisy");
            TryDelete(scratch);
        }

        return 0;
    }

    private static async Task<TargetFigures> MeasureAsync(IBenchTarget target, FioOptions options, CancellationToken ct)
    {
        try
        {
            return await TargetSuite.RunAsync(target, options, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One target failing (a mount that errors, a daemon that will not start) leaves the others' columns.
            var reason = "failed: " + e.Message.Split('\n')[0];
            Console.Error.WriteLine($"bench fio: {target.Name}: {e}");
            var load = Machine.LoadAverage();
            return new TargetFigures(target.Name, reason, null, null, null, null, null, load, load);
        }
    }

    private static void Cancel(PosixSignalContext context, CancellationTokenSource cts)
    {
        context.Cancel = true;
        cts.Cancel();
    }

    private static void TryDelete(string scratch)
    {
        // Never delete through a mount that is still there: that would delete the mounted file system's data.
        if (FuseMount.MountsUnder(scratch).FirstOrDefault() is { } left)
        {
            Console.Error.WriteLine($"bench fio: {left} is still mounted; {scratch} is kept");
            return;
        }

        try
        {
            Directory.Delete(scratch, recursive: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"bench fio: could not delete {scratch}: {e.Message}");
        }
    }
}
