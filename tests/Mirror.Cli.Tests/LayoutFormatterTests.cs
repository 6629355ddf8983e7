using System.Text.Json;
using Mirror.Cli.Output;
using Mirror.Core;
using Mirror.Core.Layouts;

namespace Mirror.Cli.Tests;

public class LayoutFormatterTests
{
    private static readonly FileLayout Layout = new()
    {
        Generation = 5,
        State = FlrState.WritePending,
        Mirrors =
        [
            new LayoutMirror
            {
                Id = 1,
                Flags = MirrorFlags.Prefer,
                Components =
                [
                    new LayoutComponent { Id = 1, Start = 0, End = 4 << 20, StripeCount = 1, StripeSize = 1 << 20, Pool = "flash", Osts = [2] },
                    new LayoutComponent { Id = 2, Start = 4 << 20, End = LayoutComponent.EndOfFile, StripeCount = 2, StripeSize = 1 << 20, Osts = [0, 1] },
                ],
            },
            new LayoutMirror
            {
                Id = 2,
                Flags = MirrorFlags.Stale,
                Components = [new LayoutComponent { Id = 3, Start = 0, End = LayoutComponent.EndOfFile, StripeCount = 1, StripeSize = 4 << 20, Pool = "archive", Osts = [3] }],
            },
        ],
    };

    [Fact]
    public void Json_has_the_stable_field_names()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            LayoutFormatter.Json(w, "/f", new Fid(0x200000401, 1, 0), Layout, Layout.Mirrors);
        }

        using var doc = JsonDocument.Parse(stream.ToArray());
        var root = doc.RootElement;
        Assert.Equal("/f", root.GetProperty("path").GetString());
        Assert.Equal("[0x200000401:0x1:0x0]", root.GetProperty("fid").GetString());
        Assert.Equal(5, root.GetProperty("layout_generation").GetInt32());
        Assert.Equal("wp", root.GetProperty("flr_state").GetString());
        Assert.Equal(2, root.GetProperty("mirror_count").GetInt32());
        var m1 = root.GetProperty("mirrors")[0];
        Assert.Equal(1, m1.GetProperty("mirror_id").GetInt32());
        Assert.Equal(["prefer"], m1.GetProperty("flags").EnumerateArray().Select(e => e.GetString()));
        Assert.False(m1.GetProperty("stale").GetBoolean());
        var c1 = m1.GetProperty("components")[0];
        Assert.Equal(4 << 20, c1.GetProperty("extent_end").GetInt64());
        Assert.Equal("flash", c1.GetProperty("pool").GetString());
        Assert.Equal([2], c1.GetProperty("osts").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(JsonValueKind.Null, m1.GetProperty("components")[1].GetProperty("extent_end").ValueKind);
        Assert.Equal([0, 1], m1.GetProperty("components")[1].GetProperty("osts").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(root.GetProperty("mirrors")[1].GetProperty("stale").GetBoolean());
    }

    [Fact]
    public void Text_is_lfs_like_and_lists_objects_only_when_verbose()
    {
        var text = LayoutFormatter.Text("/f", Layout, Layout.Mirrors, verbose: false);
        var verbose = LayoutFormatter.Text("/f", Layout, Layout.Mirrors, verbose: true);

        Assert.StartsWith("/f\n  lcm_layout_gen:    5\n  lcm_mirror_count:  2\n", text);
        Assert.Contains("  lcm_flags:         wp\n", text);
        Assert.Contains("    lcme_flags:          init,prefer\n", text);
        Assert.Contains("    lcme_flags:          init,stale\n", text);
        Assert.Contains("    lcme_extent.e_end:   EOF\n", text);
        Assert.Contains("      lmm_pool:          archive\n", text);
        Assert.DoesNotContain("l_ost_idx", text);
        Assert.Contains("      - 1: { l_ost_idx: 1 }\n", verbose);
    }
}
