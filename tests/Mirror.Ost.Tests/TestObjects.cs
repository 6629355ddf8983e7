using Mirror.Core;
using Mirror.Ost.Objects;
using Mirror.Protocol;
using Mirror.Protocol.Ost;
using Mirror.Rpc;

namespace Mirror.Ost.Tests;

internal static class TestObjects
{
    public static readonly Fid FileA = new(0x200000401UL, 0x1, 0);
    public static readonly Fid FileB = new(0x200000401UL, 0x2, 0);

    public static ObjectKey Key(Fid fid, uint component = 0, uint stripe = 0) => new(fid, component, stripe);

    public static ObjectId Id(Fid fid, uint component = 0, uint stripe = 0) => new()
    {
        Fid = new FidMsg { Seq = fid.Sequence, Oid = fid.ObjectId, Ver = fid.Version },
        ComponentId = component,
        StripeIndex = stripe,
    };

    public static ServerCallContext Context(string method) =>
        new(method, "test", null, new Dictionary<string, string>(), CancellationToken.None);

    public static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Waits for <paramref name="condition"/> with a deadline (no fixed sleeps).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout} waiting for {what}");
            }

            await Task.Delay(10);
        }
    }
}
