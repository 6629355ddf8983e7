using System.Diagnostics;
using System.Diagnostics.Metrics;
using Mirror.Core.Errors;
using Mirror.Fuse.Kernel;

namespace Mirror.Fuse.Bridge;

/// <summary>
/// The mount's instruments (Meter "Mirror.Fuse", served at the mount process's /metrics like every
/// mirrord role, ARCHITECTURE §6): every request the kernel sends by opcode with its latency (receipt
/// to reply), the errors answered by opcode and errno, and the inode invalidations sent to the kernel.
/// Together with mirror_rpc_client_duration_seconds they show what one syscall costs in FUSE ops and RPCs.
/// </summary>
internal static class FuseMetrics
{
    public const string MeterName = "Mirror.Fuse";

    /// <summary>Seconds: cached answers take microseconds, a durable create milliseconds, a slow OST read seconds.</summary>
    private static readonly double[] LatencyBuckets =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> Requests = Meter.CreateHistogram(
        "mirror_fuse_request_seconds", unit: "s", description: "FUSE requests served, by opcode: time from reading the request to writing the reply",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    private static readonly Counter<long> Errors = Meter.CreateCounter<long>(
        "mirror_fuse_errors_total", description: "FUSE requests answered with an error, by opcode and errno");

    private static readonly Counter<long> Invalidations = Meter.CreateCounter<long>(
        "mirror_fuse_inode_invalidations_total", description: "FUSE_NOTIFY_INVAL_INODE sent: an open found attributes that changed since the kernel cached them");

    private static readonly Counter<long> Local = Meter.CreateCounter<long>(
        "mirror_fuse_answered_locally_total", description: "FUSE requests answered without an MDS call, by opcode (GETATTR of a directory from its last change's reply)");

    /// <summary>Lower-case opcode names, made once (a label per request must not allocate).</summary>
    private static readonly string[] OpNames = BuildOpNames();

    public static long Start() => Stopwatch.GetTimestamp();

    public static void Served(FuseOpcode op, long started, Errno? error)
    {
        var name = OpName(op);
        Requests.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("op", name));
        if (error is { } errno)
        {
            Errors.Add(1, new KeyValuePair<string, object?>("op", name), new KeyValuePair<string, object?>("errno", errno.ToString()));
        }
    }

    public static void InodeInvalidated() => Invalidations.Add(1);

    public static void AnsweredLocally(FuseOpcode op) => Local.Add(1, new KeyValuePair<string, object?>("op", OpName(op)));

    private static string OpName(FuseOpcode op) => (uint)op < (uint)OpNames.Length ? OpNames[(int)op] : "unknown";

    private static string[] BuildOpNames()
    {
        var names = new string[64];
        for (var i = 0; i < names.Length; i++)
        {
            var op = (FuseOpcode)(uint)i;
            names[i] = Enum.IsDefined(op) ? op.ToString().ToLowerInvariant() : "unknown";
        }

        return names;
    }
}
