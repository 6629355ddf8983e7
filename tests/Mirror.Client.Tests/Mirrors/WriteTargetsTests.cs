using Mirror.Client.Mirrors;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using static Mirror.Client.Tests.Fakes.Layouts;

namespace Mirror.Client.Tests.Mirrors;

public class WriteTargetsTests
{
    [Fact]
    public void Delayed_write_goes_to_the_primary_only_prefer_first()
    {
        var layout = Of(Plain(1, M1, 0), Plain(2, M1, 1) with { Flags = MirrorFlags.Prefer }, Plain(3, M1, 2));

        Assert.Equal(new ushort[] { 2 }, WriteTargets.For(layout).Select(m => m.Id));
    }

    [Fact]
    public void Stale_and_inflight_mirrors_are_never_write_targets()
    {
        var layout = Of(
            Plain(1, M1, 0) with { Flags = MirrorFlags.Prefer | MirrorFlags.Stale },
            Plain(2, M1, 1) with { Flags = MirrorFlags.Inflight },
            Plain(3, M1, 2));

        Assert.Equal(new ushort[] { 3 }, WriteTargets.For(layout).Select(m => m.Id));
    }

    [Fact]
    public void No_in_sync_mirror_is_EIO()
    {
        var layout = Of(Plain(1, M1, 0) with { Flags = MirrorFlags.Stale });

        Assert.Equal(Errno.EIO, Assert.Throws<MirrorException>(() => WriteTargets.For(layout)).Errno);
    }
}
