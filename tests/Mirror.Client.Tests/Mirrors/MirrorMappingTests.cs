using Mirror.Client.Mirrors;
using Mirror.Client.Tests.Fakes;
using Mirror.Core.Layouts;
using static Mirror.Client.Tests.Fakes.Layouts;

namespace Mirror.Client.Tests.Mirrors;

public class MirrorMappingTests
{
    public static TheoryData<string> MirrorKinds => new() { "plain-1", "plain-4x64k", "plain-3x1m", "pfl", "huge-stripe" };

    private static LayoutMirror MirrorOf(string kind) => kind switch
    {
        "plain-1" => Plain(1, M1, 0),
        "plain-4x64k" => Plain(1, K64, 0, 1, 2, 3),
        "plain-3x1m" => Plain(1, M1, 4, 5, 6),
        "pfl" => Pfl(1, 0),
        "huge-stripe" => Plain(1, 64 * M1, 0, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(MirrorKinds))]
    public void Pieces_cover_random_ranges_exactly_in_order_without_overlap(string kind)
    {
        var mirror = MirrorOf(kind);
        var random = new Random(kind.GetHashCode(StringComparison.Ordinal));
        for (var i = 0; i < 500; i++)
        {
            var offset = (ulong)random.NextInt64(0, 40L * M1);
            var length = random.Next(1, 12 * (int)M1);
            var pieces = MirrorMapping.Pieces(mirror, offset, length).ToList();

            var position = offset;
            foreach (var p in pieces)
            {
                Assert.Equal(position, p.FileOffset);
                Assert.True(p.Length > 0 && p.Length <= MirrorMapping.MaxRpcBytes);
                Assert.True(p.Component.Contains(p.FileOffset) && p.Component.Contains(p.FileOffset + (ulong)p.Length - 1), "piece stays in its component");
                var (stripe, objectOffset) = StripeMath.Map(p.Component, p.FileOffset);
                Assert.Equal(stripe, p.StripeIndex);
                Assert.Equal(objectOffset, p.ObjectOffset);
                Assert.Equal(p.FileOffset / p.Component.StripeSize, (p.FileOffset + (ulong)p.Length - 1) / p.Component.StripeSize);
                position += (ulong)p.Length;
            }

            Assert.Equal(offset + (ulong)length, position);
        }
    }

    [Fact]
    public void Heterogeneous_mirrors_map_the_same_range_to_their_own_stripes()
    {
        var a = Plain(1, M1, 0);
        var b = Plain(2, 4 * K64, 1, 2);
        var c = Pfl(3, 3);

        var onA = MirrorMapping.Pieces(a, 3 * M1 + 10, (int)(2 * M1)).ToList();
        var onB = MirrorMapping.Pieces(b, 3 * M1 + 10, (int)(2 * M1)).ToList();
        var onC = MirrorMapping.Pieces(c, 3 * M1 + 10, (int)(2 * M1)).ToList();

        Assert.Equal(3, onA.Count); // 1 MiB stripes, one OST: the range touches chunks 3, 4 and 5
        Assert.All(onA, p => Assert.Equal(0, p.OstIndex));
        Assert.Equal(9, onB.Count); // 256 KiB stripes alternate between OSTs 1 and 2
        Assert.Equal(new[] { 1, 2 }, onB.Select(p => p.OstIndex).Distinct().Order());
        Assert.Equal(2, onC.Select(p => p.Component.Id).Distinct().Count()); // crosses the 4 MiB PFL boundary
        Assert.Equal(4 * M1, onC.First(p => p.Component.Start == 4 * M1).FileOffset);
    }

    [Fact]
    public void Pieces_larger_than_the_rpc_limit_are_split_contiguously()
    {
        var mirror = Plain(1, 64 * M1, 0);
        var pieces = MirrorMapping.Pieces(mirror, 0, (int)(10 * M1)).ToList();

        Assert.Equal(new[] { 4 * (int)M1, 4 * (int)M1, 2 * (int)M1 }, pieces.Select(p => p.Length));
        Assert.Equal(new ulong[] { 0, 4 * M1, 8 * M1 }, pieces.Select(p => p.ObjectOffset));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(65536UL)]
    [InlineData(3UL * 1024 * 1024 + 7)]
    [InlineData(4UL * 1024 * 1024)]
    [InlineData(17UL * 1024 * 1024 + 12345)]
    public void Object_sizes_hold_exactly_the_bytes_below_the_file_size(ulong fileSize)
    {
        foreach (var mirror in new[] { Plain(1, K64, 0, 1, 2), Pfl(2, 0) })
        {
            // Each object must be as long as the furthest byte below fileSize that maps into it.
            var expected = new Dictionary<(uint, int), ulong>();
            foreach (var c in mirror.Components)
            {
                for (var s = 0; s < c.Osts.Count; s++)
                {
                    expected[(c.Id, s)] = 0;
                }
            }

            var limit = fileSize;
            if (limit > 0)
            {
                foreach (var p in MirrorMapping.Pieces(mirror, 0, (long)limit))
                {
                    var key = (p.Component.Id, p.StripeIndex);
                    expected[key] = Math.Max(expected[key], p.ObjectOffset + (ulong)p.Length);
                }
            }

            foreach (var (component, stripe, size) in MirrorMapping.ObjectSizes(mirror, fileSize))
            {
                // Holds every byte of the file that maps into it...
                Assert.True(size >= expected[(component.Id, stripe)], $"component {component.Id} stripe {stripe}: {size} < {expected[(component.Id, stripe)]}");

                // ...and nothing past the file size (only holes below a later component's start).
                if (size > 0)
                {
                    var lastByte = StripeMath.FileOffsetOf(component, stripe, size - 1);
                    Assert.True(lastByte < Math.Max(fileSize, component.Start), $"component {component.Id} stripe {stripe} keeps file offset {lastByte}");
                }
            }
        }
    }
}
