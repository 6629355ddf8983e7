using Mirror.Bench.Fio.Targets;

namespace Mirror.Bench.Fio;

/// <summary>Everything measured on one target, or why it could not be.</summary>
internal sealed record TargetFigures(string Name, string? Unavailable, FioResult? SeqWrite, FioResult? SeqRead, FioResult? RandWrite,
    FioResult? RandRead, MetadataFigures? Metadata, string LoadBefore, string LoadAfter, string? Note = null);

/// <summary>
/// The same sequence on every target: sequential 1 MiB write of one file, cold sequential read of it, cold
/// 4 KiB random reads of it, 4 KiB random writes into it (ending with fsync), then the metadata job.
/// </summary>
internal static class TargetSuite
{
    public static async Task<TargetFigures> RunAsync(IBenchTarget target, FioOptions options, CancellationToken ct)
    {
        var load = Machine.LoadAverage();
        string dir;
        try
        {
            Console.WriteLine($"bench: {target.Name}: setting up");
            dir = await target.SetUpAsync(ct);
        }
        catch (TargetUnavailableException e)
        {
            Console.WriteLine($"bench: {target.Name}: n/a ({e.Message})");
            return new TargetFigures(target.Name, e.Message, null, null, null, null, null, load, load);
        }

        load = Machine.LoadAverage();
        var file = Path.Combine(dir, "fio.dat");
        await target.CreateDataFileAsync(file, options.SizeMiB, ct);
        var seqWrite = await Job(target, FioJob.SeqWrite, file, options, ct);
        Machine.DropCaches();
        var seqRead = await Job(target, FioJob.SeqRead, file, options, ct);
        Machine.DropCaches();
        var randRead = await Job(target, FioJob.RandRead, file, options, ct);
        var randWrite = await Job(target, FioJob.RandWrite, file, options, ct);
        if (await target.CheckDataFileAsync(file, ct) is { } described)
        {
            Console.WriteLine($"bench: {target.Name}: data file {described}");
        }

        File.Delete(file);
        Console.WriteLine($"bench: {target.Name}: metadata, {options.Files} files");
        var meta = MetadataJob.Run(dir, options.Files, ct);
        Console.WriteLine($"bench: {target.Name}: create {meta.Create:F0}/s, stat {meta.Stat:F0}/s, unlink {meta.Unlink:F0}/s");
        return new TargetFigures(target.Name, null, seqWrite, seqRead, randWrite, randRead, meta, load, Machine.LoadAverage(), target.Note);
    }

    private static async Task<FioResult> Job(IBenchTarget target, FioJob job, string file, FioOptions options, CancellationToken ct)
    {
        var r = await FioRunner.RunAsync(job, file, options.SizeMiB, options.RuntimeSeconds, ct);
        Console.WriteLine($"bench: {target.Name}: {job.Name} {r.MiBPerSecond:F1} MiB/s, {r.Iops:F0} IOPS in {r.Seconds:F1} s");
        return r;
    }
}
