using System.Diagnostics.Metrics;

namespace Mirror.Rpc.Metrics;

/// <summary>
/// The RPC layer's own instruments (Meter "Mirror.Rpc"): calls by method and final status, and call
/// durations, on both sides of the wire. The method label is limited to registered method paths on
/// the server (unknown paths count as "unknown") so a scanner cannot blow up the series count.
/// </summary>
internal static class RpcMetrics
{
    public const string MeterName = "Mirror.Rpc";

    /// <summary>Seconds; RPCs here range from sub-millisecond metadata calls to multi-second bulk reads.</summary>
    private static readonly double[] DurationBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> ServerRequests = Meter.CreateCounter<long>(
        "mirror_rpc_server_requests_total", description: "gRPC calls served, by method and final status code");

    private static readonly Histogram<double> ServerDuration = Meter.CreateHistogram(
        "mirror_rpc_server_duration_seconds", unit: "s", description: "Time from request headers to the final status, by method",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    private static readonly Counter<long> ClientRequests = Meter.CreateCounter<long>(
        "mirror_rpc_client_requests_total", description: "gRPC calls made, by method and final status code");

    private static readonly Histogram<double> ClientDuration = Meter.CreateHistogram(
        "mirror_rpc_client_duration_seconds", unit: "s", description: "Time from sending a call to its final status, by method",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static void ServerCall(string method, StatusCode code, TimeSpan elapsed) => Record(ServerRequests, ServerDuration, method, code, elapsed);

    public static void ClientCall(string method, StatusCode code, TimeSpan elapsed) => Record(ClientRequests, ClientDuration, method, code, elapsed);

    private static void Record(Counter<long> requests, Histogram<double> duration, string method, StatusCode code, TimeSpan elapsed)
    {
        requests.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("code", code.ToString()));
        duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("method", method));
    }
}
