using Google.Protobuf;
using Mirror.Client.Metadata;
using Mirror.Core;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;

namespace Mirror.Client.Tests.Metadata;

public class LayoutConversionTests
{
    [Fact]
    public void Layout_round_trips_through_the_wire_message_and_bytes()
    {
        var layout = new FileLayout
        {
            Generation = 42,
            State = FlrState.WritePending,
            StateOnlyChange = true,
            Mirrors =
            [
                new LayoutMirror
                {
                    Id = 1,
                    Flags = MirrorFlags.Prefer | MirrorFlags.Immediate,
                    Components =
                    [
                        new LayoutComponent { Id = 1, Start = 0, End = 4 << 20, StripeCount = 1, StripeSize = 1 << 20, Pool = "flash", Osts = [3] },
                        new LayoutComponent { Id = 2, Start = 4 << 20, End = LayoutComponent.EndOfFile, StripeCount = 2, StripeSize = 4 << 20, Osts = [0, 7] },
                    ],
                },
                new LayoutMirror
                {
                    Id = 4,
                    Flags = MirrorFlags.Stale | MirrorFlags.NoSync,
                    Components =
                    [
                        new LayoutComponent
                        {
                            Id = 9, Start = 0, End = LayoutComponent.EndOfFile, StripeCount = 3, StripeSize = 65536, Pool = "archive",
                            Osts = [1, 2, 5], Geometry = GeometryKind.Xor, ParityCount = 1,
                            ObjectFid = new Fid(0x200000401, 99, 0), ObjectComponentId = 3,
                        },
                    ],
                },
            ],
        };

        var wire = Layout.Parser.ParseFrom(layout.ToMsg().ToByteArray());
        var back = wire.ToModel();

        Assert.Equal(42u, back.Generation);
        Assert.Equal(FlrState.WritePending, back.State);
        Assert.True(back.StateOnlyChange);
        Assert.Equal(layout.Mirrors.Count, back.Mirrors.Count);
        for (var m = 0; m < layout.Mirrors.Count; m++)
        {
            Assert.Equal(layout.Mirrors[m].Id, back.Mirrors[m].Id);
            Assert.Equal(layout.Mirrors[m].Flags, back.Mirrors[m].Flags);
            Assert.Equal(layout.Mirrors[m].Components.Count, back.Mirrors[m].Components.Count);
            for (var c = 0; c < layout.Mirrors[m].Components.Count; c++)
            {
                var expected = layout.Mirrors[m].Components[c];
                var actual = back.Mirrors[m].Components[c];
                Assert.Equal(expected with { Osts = [] }, actual with { Osts = [] });
                Assert.Equal(expected.Osts, actual.Osts);
            }
        }

        Assert.Equal(layout.ToMsg(), back.ToMsg());
    }

    [Fact]
    public void Fid_round_trips()
    {
        var fid = new Fid(0x200000401, 0xdead, 3);

        Assert.Equal(fid, fid.ToMsg().ToFid());
    }
}
