using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Mds.Host;
using Mirror.Mds.Layouts;
using Mirror.Mds.Recovery;
using Mirror.Mds.Service;
using Mirror.Protocol;
using Mirror.Protocol.Mds;

namespace Mirror.Mds.Tests;

/// <summary>A settable clock, so "OST down after 6 s" is tested without waiting.</summary>
public sealed class TestClock : TimeProvider
{
    private DateTimeOffset now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (this)
        {
            return now;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (this)
        {
            now += by;
        }
    }
}

/// <summary>
/// A real MDS core on real SQLite in a temp dir, called through <see cref="MdsService"/> as the RPC layer would.
/// <see cref="ReopenAsync"/> is a restart on the same dir; Dispose deletes the dir.
/// </summary>
public sealed class TestMds : IAsyncDisposable
{
    public const ulong Eof = LayoutComponent.EndOfFile;

    private TestMds(string dir, TestClock clock, DestroyObject? destroy)
    {
        Dir = dir;
        Clock = clock;
        Destroy = destroy;
    }

    public string Dir { get; }

    public TestClock Clock { get; }

    public DestroyObject? Destroy { get; }

    /// <summary>Every fence the MDS sent (IWM §2.2.6): OST address, object count, generation. Succeeds unless <see cref="FenceFails"/>.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string Address, int Objects, uint Generation)> Fences { get; } = new();

    /// <summary>OST addresses whose fence fails (an unreachable OST).</summary>
    public HashSet<string> FenceFails { get; } = [];

    public MdsCore Core { get; private set; } = null!;

    public MdsService Service { get; private set; } = null!;

    public static async Task<TestMds> StartAsync(DestroyObject? destroy = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "mds-test-" + Guid.NewGuid().ToString("N"));
        var mds = new TestMds(dir, new TestClock(), destroy ?? ((_, _, _) => Task.CompletedTask));
        await mds.OpenAsync();
        return mds;
    }

    /// <param name="whileStopped">Runs between stop and start (e.g. to rewrite the database file).</param>
    public async Task ReopenAsync(Action? whileStopped = null)
    {
        await Core.DisposeAsync();
        whileStopped?.Invoke();
        await OpenAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Core.DisposeAsync();
        Directory.Delete(Dir, recursive: true);
    }

    /// <summary>The placement test bed: OSTs 0,1 pool flash label ssd; 2,3 pool archive label hdd; each its own failure domain.</summary>
    public async Task RegisterFourOstsAsync()
    {
        for (uint i = 0; i < 4; i++)
        {
            await RegisterOstAsync(i, i < 2 ? "flash" : "archive", i < 2 ? "ssd" : "hdd", $"rack{i}");
        }
    }

    public Task RegisterOstAsync(uint index, string pool, string label, string domain, string? uuid = null)
    {
        var request = new RegisterOstRequest
        {
            Index = index,
            Address = $"127.0.0.1:{7000 + index}",
            Pool = pool,
            FailureDomain = domain,
            TotalBytes = 1UL << 40,
            FreeBytes = 1UL << 39,
            Uuid = uuid ?? $"uuid-{index}",
        };
        request.Labels.Add(label);
        return Service.RegisterOst(request);
    }

    public static FidMsg Root => ProtoConvert.Msg(Fid.Root);

    public async Task<CreateReply> CreateAsync(string name, LayoutSpec? spec = null, FidMsg? parent = null) =>
        await Service.Create(new CreateRequest { Parent = parent ?? Root, Name = name, Mode = 420, Layout = spec });

    public async Task<CreateReply> MkdirAsync(string name, FidMsg? parent = null) =>
        await Service.Mkdir(new CreateRequest { Parent = parent ?? Root, Name = name, Mode = 493 });

    public async Task<List<ChangelogRecord>> ChangelogAsync(ulong after = 0) =>
        (await Service.ChangelogRead(new ChangelogReadRequest { AfterIndex = after, MaxRecords = 10000 })).Records.ToList();

    /// <summary>
    /// The last changelog record once it is of type <paramref name="type"/>: a change made in the background (a forced
    /// close) is in memory before its group commit makes the record readable, so wait (with a deadline) instead of
    /// reading once. Returns the last record as it is at the deadline otherwise, for the caller's assertion to show.
    /// </summary>
    public async Task<ChangelogRecord> LastChangelogAsync(ChangelogType type, int timeoutMs = 30_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        var last = (await ChangelogAsync()).Last();
        while (last.Type != type && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            last = (await ChangelogAsync()).Last();
        }

        return last;
    }

    public static LayoutSpec Spec(params MirrorSpec[] mirrors)
    {
        var spec = new LayoutSpec();
        spec.Mirrors.AddRange(mirrors);
        return spec;
    }

    public static MirrorSpec MirrorOf(params ComponentSpec[] components) => MirrorOf(MirrorFlags.None, components);

    public static MirrorSpec MirrorOf(MirrorFlags flags, params ComponentSpec[] components)
    {
        var m = new MirrorSpec { Flags = (uint)flags };
        m.Components.AddRange(components);
        return m;
    }

    public static ComponentSpec Comp(ulong end = Eof, int count = 0, string pool = "", uint size = 0) =>
        new() { End = end, StripeCount = count, Pool = pool, StripeSize = size };

    /// <summary>N one-component mirrors in <paramref name="pool"/>.</summary>
    public static LayoutSpec Mirrors(int n, string pool = "") =>
        Spec(Enumerable.Range(0, n).Select(_ => MirrorOf(Comp(pool: pool))).ToArray());

    public static async Task<MirrorException> Fails(Errno errno, Func<Task> action)
    {
        var e = await Assert.ThrowsAsync<MirrorException>(action);
        Assert.Equal(errno, e.Errno);
        return e;
    }

    public static MirrorException FailsNow(Errno errno, Action action)
    {
        var e = Assert.Throws<MirrorException>(action);
        Assert.Equal(errno, e.Errno);
        return e;
    }

    /// <summary>Waits for <paramref name="condition"/> with a deadline (no fixed sleeps).</summary>
    public static async Task WaitForAsync(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(10);
        }
    }

    private async Task OpenAsync()
    {
        Core = await MdsCore.OpenAsync(new MdsCoreOptions
        {
            DataDir = Dir,
            Clock = Clock,
            DestroyObject = Destroy,
            OrphanRetryDelay = TimeSpan.FromMilliseconds(50),
            FenceObjects = (address, objects, generation, _) =>
            {
                lock (FenceFails)
                {
                    if (FenceFails.Contains(address))
                    {
                        throw new MirrorException(Errno.EHOSTUNREACH, $"{address} unreachable");
                    }
                }

                Fences.Enqueue((address, objects.Count, generation));
                return Task.CompletedTask;
            },
            FenceBudget = TimeSpan.FromMilliseconds(300),
        });
        Service = new MdsService(Core);
    }
}
