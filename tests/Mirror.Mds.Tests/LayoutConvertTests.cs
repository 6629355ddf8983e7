using Mirror.Core;
using Mirror.Core.Layouts;
using Mirror.Mds.Layouts;

namespace Mirror.Mds.Tests;

public sealed class LayoutConvertTests
{
    [Fact]
    public void Stored_layout_round_trips_through_proto_with_object_refs()
    {
        var owner = new Fid(0x200000400, 7, 0);
        var victim = new Fid(0x200000400, 9, 0);
        var layout = new FileLayout
        {
            Generation = 12,
            State = FlrState.SyncPending,
            StateOnlyChange = true,
            Mirrors =
            [
                new LayoutMirror
                {
                    Id = 1, Flags = MirrorFlags.Prefer,
                    Components =
                    [
                        new LayoutComponent { Id = 1, Start = 0, End = 4 << 20, StripeCount = 1, StripeSize = 1 << 20, Pool = "flash", Osts = [0] },
                        new LayoutComponent { Id = 2, Start = 4 << 20, End = LayoutComponent.EndOfFile, StripeCount = 2, StripeSize = 1 << 20, Pool = "flash", Osts = [0, 1] },
                    ],
                },
                new LayoutMirror
                {
                    Id = 3, Flags = MirrorFlags.Stale | MirrorFlags.NoSync,
                    Components = [new LayoutComponent { Id = 5, Start = 0, End = LayoutComponent.EndOfFile, StripeCount = 3, StripeSize = 4 << 20, Osts = [2, 3, 1], Geometry = GeometryKind.Xor, ParityCount = 1 }],
                },
            ],
        };
        var stored = new StoredLayout(layout, new Dictionary<uint, ObjectRef> { [5] = new(victim, 2) });

        var back = LayoutConvert.FromBytes(LayoutConvert.ToBytes(stored), owner);

        Assert.Equal(LayoutConvert.ToProto(stored), LayoutConvert.ToProto(back));
        Assert.Equal(new ObjectRef(victim, 2), back.ObjectsOf(owner, 5));
        Assert.Equal(new ObjectRef(owner, 2), back.ObjectsOf(owner, 2));
        Assert.Equal(layout.Generation, back.Layout.Generation);
        Assert.Equal(layout.State, back.Layout.State);
        Assert.Equal(layout.Mirrors[1].Components[0].Osts, back.Layout.Mirrors[1].Components[0].Osts);
        Assert.Equal(layout.Mirrors[1].Flags, back.Layout.Mirrors[1].Flags);
    }
}
