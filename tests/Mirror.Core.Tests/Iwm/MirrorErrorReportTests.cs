using Mirror.Core.Errors;
using Mirror.Core.Iwm;

namespace Mirror.Core.Tests.Iwm;

public sealed class MirrorErrorReportTests
{
    [Fact]
    public void Empty_report_encodes_to_no_bytes_and_decodes_back_empty()
    {
        var report = new MirrorErrorReport();
        Assert.Empty(report.Encode());
        Assert.True(MirrorErrorReport.Decode([]).IsEmpty);
        Assert.Equal(0, MirrorErrorReport.Decode([0, 0]).MirrorMask);
    }

    [Fact]
    public void Round_trip_keeps_mirror_positions_and_stripes()
    {
        var report = new MirrorErrorReport();
        report.Add(0, 4, 2);
        report.Add(5, 40, 0);
        report.Add(5, 40, 33);
        report.Add(5, 40, 39);

        var decoded = MirrorErrorReport.Decode(report.Encode());

        Assert.Equal((ushort)((1 << 0) | (1 << 5)), decoded.MirrorMask);
        Assert.Equal([0, 5], decoded.ErroredPositions);
        Assert.Equal([2], decoded.ErroredStripes(0));
        Assert.Equal([0, 33, 39], decoded.ErroredStripes(5));
    }

    [Fact]
    public void Encoding_follows_the_v2_layout_byte_for_byte()
    {
        // mask 0b10 (position 1), stripe_count 17, two 16-bit words: stripe 0 and stripe 16.
        var report = new MirrorErrorReport();
        report.Add(1, 17, 0);
        report.Add(1, 17, 16);

        Assert.Equal(new byte[] { 0x02, 0x00, 17, 0x00, 0x01, 0x00, 0x01, 0x00 }, report.Encode());
    }

    [Fact]
    public void Whole_mirror_error_marks_every_stripe()
    {
        var report = new MirrorErrorReport();
        report.Add(2, 3);
        Assert.Equal([0, 1, 2], MirrorErrorReport.Decode(report.Encode()).ErroredStripes(2));
    }

    [Fact]
    public void Heterogeneous_stripe_counts_round_trip_per_mirror()
    {
        var report = new MirrorErrorReport();
        report.Add(0, 1, 0);
        report.Add(1, 2000, 1999);
        report.Add(15, 16, 15);

        var bytes = report.Encode();
        Assert.Equal(2 + (2 + 2) + (2 + 250) + (2 + 2), bytes.Length);
        var decoded = MirrorErrorReport.Decode(bytes);
        Assert.Equal([0], decoded.ErroredStripes(0));
        Assert.Equal([1999], decoded.ErroredStripes(1));
        Assert.Equal([15], decoded.ErroredStripes(15));
        Assert.Equal((ushort)0x8003, decoded.MirrorMask);
    }

    [Fact]
    public void Merge_ors_mirrors_and_stripes_of_two_writers()
    {
        var a = new MirrorErrorReport();
        a.Add(0, 8, 1);
        var b = new MirrorErrorReport();
        b.Add(0, 8, 6);
        b.Add(1, 4, 3);

        a.Merge(b);

        Assert.Equal((ushort)0b11, a.MirrorMask);
        Assert.Equal([1, 6], a.ErroredStripes(0));
        Assert.Equal([3], a.ErroredStripes(1));
    }

    [Fact]
    public void Merge_keeps_a_mirror_bit_without_stripe_bits_as_it_is()
    {
        // mask bit 0 with an all-zero stripe bitmap: the mirror failed, no stripe named.
        var bare = MirrorErrorReport.Decode([0x01, 0x00, 4, 0x00, 0x00, 0x00]);
        var merged = new MirrorErrorReport();
        merged.Merge(bare);

        Assert.Equal((ushort)1, merged.MirrorMask);
        Assert.Empty(merged.ErroredStripes(0));
    }

    [Fact]
    public void Add_rejects_a_stripe_outside_the_mirror_and_a_changed_stripe_count()
    {
        var report = new MirrorErrorReport();
        Assert.Throws<ArgumentOutOfRangeException>(() => report.Add(0, 4, 4));
        report.Add(0, 4, 1);
        Assert.Throws<ArgumentException>(() => report.Add(0, 8, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => report.Add(16, 4));
    }

    [Theory]
    [InlineData(new byte[] { 0x01 }, "shorter than its 2-byte mask")]
    [InlineData(new byte[] { 0x01, 0x00 }, "before the stripe count of mirror position 0")]
    [InlineData(new byte[] { 0x01, 0x00, 0x00, 0x00 }, "stripe count of 0")]
    [InlineData(new byte[] { 0x01, 0x00, 17, 0x00, 0xFF, 0xFF }, "inside the stripe bitmap of mirror position 0")]
    [InlineData(new byte[] { 0x01, 0x00, 1, 0x00, 0x01, 0x00, 0x07 }, "1 trailing byte")]
    [InlineData(new byte[] { 0x00, 0x00, 0x01 }, "1 trailing byte")]
    public void Malformed_lvb_is_eproto_naming_the_problem(byte[] lvb, string expected)
    {
        var e = Assert.Throws<MirrorException>(() => MirrorErrorReport.Decode(lvb));
        Assert.Equal(Errno.EPROTO, e.Errno);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
