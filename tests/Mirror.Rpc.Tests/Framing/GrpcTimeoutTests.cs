using Mirror.Rpc.Framing;

namespace Mirror.Rpc.Tests.Framing;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("100m", 100 * TimeSpan.TicksPerMillisecond)]
    [InlineData("5S", 5 * TimeSpan.TicksPerSecond)]
    [InlineData("2M", 2 * TimeSpan.TicksPerMinute)]
    [InlineData("1H", TimeSpan.TicksPerHour)]
    [InlineData("250u", 2500)]
    [InlineData("1000n", 10)]
    [InlineData("1n", 1)]
    [InlineData("0n", 0)]
    [InlineData("99999999S", 99_999_999 * TimeSpan.TicksPerSecond)]
    public void Parses_every_unit(string text, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(text, out var timeout));
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("100")]
    [InlineData("100x")]
    [InlineData("-1S")]
    [InlineData("1.5S")]
    [InlineData("123456789S")]
    [InlineData(" 1S")]
    public void Rejects_what_the_spec_does_not_allow(string text) => Assert.False(GrpcTimeout.TryParse(text, out _));

    [Theory]
    [InlineData(0L, "0n")]
    [InlineData(-5L, "0n")]
    [InlineData(1L, "100n")]
    [InlineData(99 * TimeSpan.TicksPerMillisecond, "99000000n")]
    [InlineData(100 * TimeSpan.TicksPerMillisecond, "100000u")]
    [InlineData(5 * TimeSpan.TicksPerSecond, "5000000u")]
    [InlineData(2 * TimeSpan.TicksPerHour, "7200000m")]
    [InlineData(30 * TimeSpan.TicksPerDay, "2592000S")]
    public void Formats_with_the_finest_unit_that_fits_eight_digits(long ticks, string text) =>
        Assert.Equal(text, GrpcTimeout.Format(TimeSpan.FromTicks(ticks)));

    [Fact]
    public void Formatting_rounds_up_so_the_peer_never_sees_a_shorter_deadline()
    {
        // 100 000 000.1 µs does not fit in 8 digits of µs → ms, rounded up.
        var timeout = TimeSpan.FromTicks((99_999_999 * 10) + 1);

        Assert.Equal("100000m", GrpcTimeout.Format(timeout));
        Assert.True(GrpcTimeout.TryParse(GrpcTimeout.Format(timeout), out var back));
        Assert.True(back >= timeout);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(12_345_678L)]
    [InlineData(TimeSpan.TicksPerDay * 400)]
    public void Round_trip_never_shortens(long ticks)
    {
        var timeout = TimeSpan.FromTicks(ticks);

        var text = GrpcTimeout.Format(timeout);

        Assert.InRange(text.Length, 2, 9);
        Assert.True(GrpcTimeout.TryParse(text, out var back));
        Assert.True(back >= timeout, $"{text} = {back} < {timeout}");
    }
}
