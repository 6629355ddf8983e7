using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;

namespace Mirror.Fuse.Kernel;

/// <summary>
/// What the kernel sends this session, per opcode: requests, payload bytes (READ size asked, WRITE data),
/// time from read(2) to the reply, and the most requests in flight at once. Lock-free counters; exported
/// through the "Mirror.Fuse" meter and summarised in the log when the session ends, so a run can be
/// explained by what the kernel asked for (request sizes tell whether readahead and big writes are on).
/// </summary>
internal sealed class FuseStats
{
    private static readonly Meter Meter = new("Mirror.Fuse");
    private static readonly Counter<long> Bytes = Meter.CreateCounter<long>("mirror_fuse_request_bytes_total", "By", "READ bytes asked and WRITE bytes received, by opcode");

    private const int Opcodes = 64;
    private readonly long[] counts = new long[Opcodes];
    private readonly long[] bytes = new long[Opcodes];
    private readonly long[] ticks = new long[Opcodes];
    private readonly long[] maxBytes = new long[Opcodes];
    private int inflight;
    private int maxInflight;

    public int MaxInflight => Volatile.Read(ref maxInflight);

    public long Count(FuseOpcode op) => Volatile.Read(ref counts[Index(op)]);

    public long BytesOf(FuseOpcode op) => Volatile.Read(ref bytes[Index(op)]);

    /// <summary>A request starts (read from /dev/fuse); the returned timestamp goes to <see cref="End"/>.</summary>
    public long Begin()
    {
        var now = Interlocked.Increment(ref inflight);
        var max = Volatile.Read(ref maxInflight);
        while (now > max && Interlocked.CompareExchange(ref maxInflight, now, max) != max)
        {
            max = Volatile.Read(ref maxInflight);
        }

        return Stopwatch.GetTimestamp();
    }

    /// <summary>The request was answered; <paramref name="size"/> is its READ/WRITE size (0 otherwise).</summary>
    public void End(FuseOpcode op, long size, long started)
    {
        Interlocked.Decrement(ref inflight);
        var i = Index(op);
        var elapsed = Stopwatch.GetTimestamp() - started;
        Interlocked.Increment(ref counts[i]);
        Interlocked.Add(ref ticks[i], elapsed);
        if (size > 0)
        {
            Interlocked.Add(ref bytes[i], size);
            var max = Volatile.Read(ref maxBytes[i]);
            while (size > max && Interlocked.CompareExchange(ref maxBytes[i], size, max) != max)
            {
                max = Volatile.Read(ref maxBytes[i]);
            }
        }

        // Counts and latency by opcode are the bridge's mirror_fuse_request_seconds histogram; only the bytes are exported here.
        if (size > 0)
        {
            Bytes.Add(size, new KeyValuePair<string, object?>("op", op.ToString().ToLowerInvariant()));
        }
    }

    /// <summary>One line per opcode seen: count, mean size, largest size, mean time to reply.</summary>
    public string Summary()
    {
        var text = new StringBuilder();
        for (var i = 0; i < Opcodes; i++)
        {
            var n = Volatile.Read(ref counts[i]);
            if (n == 0)
            {
                continue;
            }

            var meanUs = Volatile.Read(ref ticks[i]) * 1e6 / Stopwatch.Frequency / n;
            text.Append((FuseOpcode)i).Append(": ").Append(n);
            if (Volatile.Read(ref bytes[i]) is var b and > 0)
            {
                text.Append(", mean ").Append(b / n).Append(" B, max ").Append(Volatile.Read(ref maxBytes[i])).Append(" B");
            }

            text.Append(", mean ").Append(meanUs.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)).Append(" us; ");
        }

        return text.Append("most in flight: ").Append(MaxInflight).ToString();
    }

    private static int Index(FuseOpcode op) => (int)op is >= 0 and < Opcodes ? (int)op : 0;
}
