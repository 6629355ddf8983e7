using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Mirror.Bench;

/// <summary>
/// Which types the bench process allocates, from the runtime's GC AllocationTick events (one per ~100 KB
/// allocated, naming the type that crossed the mark): a sampled allocation profile without external tools.
/// Enabled by --alloc-types; printed at the end.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> bytesByType = new();

    public bool Recording { get; set; }

    public IEnumerable<(string Type, long Bytes)> Top(int n) =>
        bytesByType.OrderByDescending(p => p.Value).Take(n).Select(p => (p.Key, p.Value));

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!Recording || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null)
        {
            return;
        }

        var type = e.PayloadNames!.IndexOf("TypeName") is var t and >= 0 ? e.Payload[t] as string ?? "?" : "?";
        var amount = e.PayloadNames.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload[a], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        bytesByType.AddOrUpdate(type, amount, (_, old) => old + amount);
    }
}
