using Mirror.Client.Files;
using Mirror.Client.Locks;
using Mirror.Client.Metadata;
using Mirror.Core.Layouts;
using static Mirror.Client.Tests.Fakes.Layouts;

namespace Mirror.Client.Tests.Fakes;

/// <summary>An IWM-aware client over a fake MDS with the IWM lock calls and in-memory OSTs.</summary>
public abstract class IwmTestBase
{
    internal FakeOstSet Osts { get; } = new();

    /// <summary>Three IMMEDIATE mirrors, one OST each (mirror id n on OST n-1), 64 KiB stripes.</summary>
    internal static FileLayout ThreeImmediate() => Of(Immediate(1, 0), Immediate(2, 1), Immediate(3, 2));

    internal static LayoutMirror Immediate(ushort id, params int[] osts) => Plain(id, K64, osts) with { Flags = MirrorFlags.Immediate };

    internal async Task<(MirrorClient Client, FakeMds Mds)> ClientAsync(FileLayout? layout = null, IwmOptions? iwm = null, bool iwmAware = true)
    {
        var mds = new FakeMds(layout ?? ThreeImmediate()).EnableLocks();
        var client = await MirrorClient.CreateAsync(new MdsClient(mds.Rpc), Osts, new MirrorClientOptions
        {
            IwmAware = iwmAware,
            KeepLease = false,
            Iwm = iwm ?? new IwmOptions { IdleRelease = TimeSpan.FromMinutes(10) },
        });
        return (client, mds);
    }

    internal static byte[] Data(int n, int seed)
    {
        var d = new byte[n];
        new Random(seed).NextBytes(d);
        return d;
    }

    /// <summary>Waits for <paramref name="condition"/> with a deadline (no sleeps to synchronise).</summary>
    internal static async Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 10)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {seconds} s: {what}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>The bytes mirror <paramref name="mirrorOst"/>'s single-stripe object holds for the fake file.</summary>
    internal byte[] ObjectBytes(FileLayout layout, ushort mirrorId)
    {
        var component = layout.Mirror(mirrorId)!.Components.Single();
        return Osts[component.Osts[0]].Object(FakeMds.FileFid, component.Id, 0) ?? [];
    }
}
