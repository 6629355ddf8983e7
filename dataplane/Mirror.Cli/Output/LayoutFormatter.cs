using System.Text;
using System.Text.Json;
using Mirror.Core;
using Mirror.Core.Layouts;

namespace Mirror.Cli.Output;

/// <summary>
/// getstripe output: lfs-like text (lcm_*/lcme_*/lmm_* fields) and JSON with stable field names:
/// {"path","fid","layout_generation","flr_state","mirror_count","mirrors":[{"mirror_id","flags","stale",
/// "components":[{"id","extent_start","extent_end" (null = EOF),"stripe_count","stripe_size","pool","osts"}]}]}.
/// </summary>
public static class LayoutFormatter
{
    public static string Text(string path, FileLayout layout, IReadOnlyList<LayoutMirror> mirrors, bool verbose)
    {
        var sb = new StringBuilder();
        sb.Append(path).Append('\n');
        sb.Append($"  lcm_layout_gen:    {layout.Generation}\n");
        sb.Append($"  lcm_mirror_count:  {layout.Mirrors.Count}\n");
        sb.Append($"  lcm_entry_count:   {layout.Mirrors.Sum(m => m.Components.Count)}\n");
        sb.Append($"  lcm_flags:         {FlrStateNames.Short(layout.State)}\n");
        foreach (var mirror in mirrors)
        {
            foreach (var c in mirror.Components)
            {
                sb.Append($"    lcme_id:             {c.Id}\n");
                sb.Append($"    lcme_mirror_id:      {mirror.Id}\n");
                sb.Append($"    lcme_flags:          {ComponentFlags(mirror, c)}\n");
                sb.Append($"    lcme_extent.e_start: {c.Start}\n");
                sb.Append($"    lcme_extent.e_end:   {c.FormatEnd()}\n");
                sb.Append($"      lmm_stripe_count:  {c.StripeCount}\n");
                sb.Append($"      lmm_stripe_size:   {c.StripeSize}\n");
                sb.Append($"      lmm_pattern:       {Pattern(c)}\n");
                if (c.Pool.Length != 0)
                {
                    sb.Append($"      lmm_pool:          {c.Pool}\n");
                }

                if (verbose)
                {
                    sb.Append("      lmm_objects:\n");
                    for (var i = 0; i < c.Osts.Count; i++)
                    {
                        sb.Append($"      - {i}: {{ l_ost_idx: {c.Osts[i]} }}\n");
                    }
                }

                sb.Append('\n');
            }
        }

        return sb.ToString();
    }

    public static void Json(Utf8JsonWriter w, string path, Fid fid, FileLayout layout, IReadOnlyList<LayoutMirror> mirrors)
    {
        w.WriteStartObject();
        w.WriteString("path", path);
        w.WriteString("fid", fid.ToString());
        w.WriteNumber("layout_generation", layout.Generation);
        w.WriteString("flr_state", FlrStateNames.Short(layout.State));
        w.WriteNumber("mirror_count", layout.Mirrors.Count);
        w.WriteStartArray("mirrors");
        foreach (var mirror in mirrors)
        {
            w.WriteStartObject();
            w.WriteNumber("mirror_id", mirror.Id);
            w.WriteStartArray("flags");
            foreach (var flag in FlagNames(mirror.Flags))
            {
                w.WriteStringValue(flag);
            }

            w.WriteEndArray();
            w.WriteBoolean("stale", mirror.IsStale);
            w.WriteStartArray("components");
            foreach (var c in mirror.Components)
            {
                w.WriteStartObject();
                w.WriteNumber("id", c.Id);
                w.WriteNumber("extent_start", c.Start);
                if (c.End == LayoutComponent.EndOfFile)
                {
                    w.WriteNull("extent_end");
                }
                else
                {
                    w.WriteNumber("extent_end", c.End);
                }

                w.WriteNumber("stripe_count", c.StripeCount);
                w.WriteNumber("stripe_size", c.StripeSize);
                w.WriteString("pool", c.Pool);
                w.WriteStartArray("osts");
                foreach (var ost in c.Osts)
                {
                    w.WriteNumberValue(ost);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static IEnumerable<string> FlagNames(MirrorFlags flags) =>
        flags == MirrorFlags.None ? [] : MirrorFlagNames.Format(flags).Split(',');

    /// <summary>lcme_flags: "init" (every component here has objects) plus the mirror's flags.</summary>
    private static string ComponentFlags(LayoutMirror mirror, LayoutComponent c) =>
        string.Join(',', (c.Osts.Count != 0 ? new[] { "init" } : []).Concat(FlagNames(mirror.Flags)).DefaultIfEmpty("0"));

    private static string Pattern(LayoutComponent c) => c.Geometry switch
    {
        GeometryKind.Xor => $"xor{c.StripeCount - c.ParityCount}",
        GeometryKind.ErasureCoded => $"ec({c.StripeCount - c.ParityCount},{c.ParityCount})",
        _ => "raid0",
    };
}
