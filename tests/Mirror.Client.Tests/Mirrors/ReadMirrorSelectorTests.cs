using Mirror.Client.Mirrors;
using Mirror.Core;
using Mirror.Core.Layouts;
using static Mirror.Client.Tests.Fakes.Layouts;

namespace Mirror.Client.Tests.Mirrors;

public class ReadMirrorSelectorTests
{
    private static readonly Fid File = new(0x200000401, 1, 0);

    [Fact]
    public void Stale_and_inflight_mirrors_are_never_candidates()
    {
        var layout = Of(
            Plain(1, M1, 0) with { Flags = MirrorFlags.Stale },
            Plain(2, M1, 1) with { Flags = MirrorFlags.Inflight | MirrorFlags.Immediate },
            Plain(3, M1, 2),
            Plain(4, M1, 3) with { Flags = MirrorFlags.Stale | MirrorFlags.Prefer });
        var selector = new ReadMirrorSelector();

        Assert.Equal(new ushort[] { 3 }, selector.Candidates(File, layout).Select(m => m.Id));
        selector.ReportFailure(File, 3);
        Assert.Equal(new ushort[] { 3 }, selector.Candidates(File, layout).Select(m => m.Id));
    }

    [Fact]
    public void Prefer_comes_first_then_mirror_id()
    {
        var layout = Of(Plain(1, M1, 0), Plain(2, M1, 1), Plain(3, M1, 2) with { Flags = MirrorFlags.Prefer });

        Assert.Equal(new ushort[] { 3, 1, 2 }, new ReadMirrorSelector().Candidates(File, layout).Select(m => m.Id));
    }

    [Fact]
    public void A_failed_mirror_rotates_to_the_back_until_its_penalty_expires()
    {
        var clock = new ManualClock();
        var layout = Of(Plain(1, M1, 0) with { Flags = MirrorFlags.Prefer }, Plain(2, M1, 1), Plain(3, M1, 2));
        var selector = new ReadMirrorSelector(clock, TimeSpan.FromSeconds(30));

        selector.ReportFailure(File, 1);
        Assert.Equal(new ushort[] { 2, 3, 1 }, selector.Candidates(File, layout).Select(m => m.Id));
        clock.Advance(TimeSpan.FromSeconds(1));
        selector.ReportFailure(File, 2);
        Assert.Equal(new ushort[] { 3, 1, 2 }, selector.Candidates(File, layout).Select(m => m.Id));
        Assert.Equal(new ushort[] { 1, 2, 3 }, selector.Candidates(new Fid(0x200000401, 2, 0), layout).Select(m => m.Id));

        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(new ushort[] { 1, 2, 3 }, selector.Candidates(File, layout).Select(m => m.Id));
    }

    [Fact]
    public void Success_clears_the_penalty()
    {
        var layout = Of(Plain(1, M1, 0), Plain(2, M1, 1));
        var selector = new ReadMirrorSelector();
        selector.ReportFailure(File, 1);
        selector.ReportSuccess(File, 1);

        Assert.Equal(new ushort[] { 1, 2 }, selector.Candidates(File, layout).Select(m => m.Id));
    }

    internal sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }
}
