using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;

namespace Mirror.Cli.Parsing;

/// <summary>
/// Builds a <see cref="LayoutSpec"/> from lfs setstripe options, in order (flr-overview "Commands"):
/// <c>-N[COUNT]</c> opens a mirror group (COUNT identical mirrors, default 1); <c>-E END</c> closes the
/// current component at END (the first -E of a group ends the group's initial component, later ones
/// open a new component); <c>-c</c>, <c>-S</c>, <c>-p</c>, <c>-o</c> apply to the current component;
/// <c>--flags</c> to the group's mirrors. Without <c>-N</c> (setstripe, migrate) options form one
/// implicit group, unless <c>-N</c> is required (mirror create, mirror extend).
/// </summary>
public sealed class LayoutSpecBuilder(bool requireMirrorOption, string commandName)
{
    private static readonly HashSet<string> ComponentOptions =
        ["-c", "--stripe-count", "-S", "--stripe-size", "-p", "--pool", "-E", "--component-end", "-o", "--ost", "--flags"];

    private readonly List<Group> groups = [];

    public bool HasMirrorGroups => groups.Count != 0;

    /// <summary>Consumes <paramref name="token"/> (and its value) when it is a layout option; false otherwise.</summary>
    public bool TryConsume(string token, ArgReader reader)
    {
        var (option, attached) = Split(token);
        if (option is "-N" or "--mirror-count")
        {
            var count = 1;
            if (attached is not null)
            {
                count = ParseCount(option, attached);
            }
            else if (reader.TryNextNumber(out var n))
            {
                count = ParseCount(option, n.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            groups.Add(new Group(count));
            return true;
        }

        if (!ComponentOptions.Contains(option))
        {
            return false;
        }

        var value = attached ?? reader.Value(option);
        if (groups.Count == 0)
        {
            if (requireMirrorOption)
            {
                throw new UsageException($"{option}: {commandName} options must follow -N (e.g. -N -c 2 -p flash)");
            }

            groups.Add(new Group(1));
        }

        var group = groups[^1];
        var component = group.Components[^1];
        switch (option)
        {
            case "-c" or "--stripe-count":
                component.StripeCount = Values.StripeCount(option, value);
                break;
            case "-S" or "--stripe-size":
                component.StripeSize = Values.StripeSize(option, value);
                break;
            case "-p" or "--pool":
                component.Pool = value;
                break;
            case "-o" or "--ost":
                component.Osts = Values.OstList(option, value);
                break;
            case "--flags":
                group.Flags |= ParseFlags(option, value);
                break;
            case "-E" or "--component-end":
                var end = Values.ComponentEnd(option, value);
                if (!group.SawEnd)
                {
                    group.SawEnd = true;
                    component.End = end;
                }
                else
                {
                    // lfs setstripe_args_init_inherit: a new component keeps the previous one's stripe size,
                    // stripe count and pool unless its own options change them.
                    group.Components.Add(new ComponentBuilder { End = end, StripeCount = component.StripeCount, StripeSize = component.StripeSize, Pool = component.Pool });
                }

                break;
        }

        return true;
    }

    /// <summary>The spec, or null when no layout option was given. Checks extents increase and end at eof.</summary>
    public LayoutSpec? Build()
    {
        if (groups.Count == 0)
        {
            return null;
        }

        var spec = new LayoutSpec();
        foreach (var group in groups)
        {
            ulong previous = 0;
            var components = new List<ComponentSpec>();
            foreach (var c in group.Components)
            {
                var end = c.End ?? Values.Eof;
                if (end <= previous)
                {
                    throw new UsageException($"-E: component end {Values.FormatEnd(end)} is not greater than the previous end {Values.FormatEnd(previous)}");
                }

                if (previous == Values.Eof)
                {
                    throw new UsageException("-E: no component can follow one that ends at eof");
                }

                var component = new ComponentSpec { End = end, StripeCount = c.StripeCount, StripeSize = c.StripeSize, Pool = c.Pool };
                component.Osts.AddRange(c.Osts);
                components.Add(component);
                previous = end;
            }

            if (previous != Values.Eof)
            {
                throw new UsageException($"-E: the last component of a mirror must end at eof (this one ends at {Values.FormatEnd(previous)})");
            }

            for (var i = 0; i < group.Count; i++)
            {
                var mirror = new MirrorSpec { Flags = (uint)group.Flags };
                mirror.Components.AddRange(components.Select(c => c.Clone()));
                spec.Mirrors.Add(mirror);
            }
        }

        if (spec.Mirrors.Count > FileLayout.MaxMirrors)
        {
            throw new UsageException($"-N: {spec.Mirrors.Count} mirrors asked for, a file has at most {FileLayout.MaxMirrors}");
        }

        return spec;
    }

    /// <summary>Splits attached short-option values: <c>-N2</c>, <c>-c2</c>, <c>-S4M</c>, <c>--flags=prefer</c>.</summary>
    private static (string Option, string? Attached) Split(string token)
    {
        if (token.StartsWith("--", StringComparison.Ordinal))
        {
            var eq = token.IndexOf('=');
            return eq > 0 ? (token[..eq], token[(eq + 1)..]) : (token, null);
        }

        if (token.Length > 2 && token[0] == '-' && char.IsAsciiLetter(token[1]))
        {
            return (token[..2], token[2..]);
        }

        return (token, null);
    }

    private static int ParseCount(string option, string text)
    {
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1 || n > FileLayout.MaxMirrors)
        {
            throw new UsageException($"{option}: '{text}' is not a mirror count (1 to {FileLayout.MaxMirrors})");
        }

        return n;
    }

    private static MirrorFlags ParseFlags(string option, string text)
    {
        MirrorFlags flags;
        try
        {
            flags = MirrorFlagNames.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException($"{option}: {e.Message}");
        }

        var settable = MirrorFlags.Prefer | MirrorFlags.Immediate | MirrorFlags.NoSync;
        if ((flags & ~settable) != 0)
        {
            throw new UsageException($"{option}: '{MirrorFlagNames.Format(flags & ~settable)}' cannot be set by hand (allowed: prefer, immediate, nosync)");
        }

        return flags;
    }

    private sealed class Group(int count)
    {
        public int Count { get; } = count;

        public MirrorFlags Flags { get; set; }

        public bool SawEnd { get; set; }

        public List<ComponentBuilder> Components { get; } = [new ComponentBuilder()];
    }

    private sealed class ComponentBuilder
    {
        public ulong? End { get; set; }

        public int StripeCount { get; set; }

        public uint StripeSize { get; set; }

        public string Pool { get; set; } = "";

        public uint[] Osts { get; set; } = [];
    }
}
