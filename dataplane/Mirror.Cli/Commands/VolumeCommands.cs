using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mirror.Cli.Parsing;
using Mirror.Client.Metadata;
using Mirror.Protocol.Mds;

namespace Mirror.Cli.Commands;

public sealed record VolumeCreateArgs(string Name, ulong Capacity, string Owner, LayoutSpec? Layout, bool Json);

/// <summary>
/// Volume arguments shared by the <c>volume</c> commands. A volume (ARCHITECTURE §3) is the directory
/// /volumes/NAME with a capacity quota; names are DNS-1123-like so a Kubernetes PV name fits.
/// </summary>
public static partial class VolumeArgs
{
    public const string CapacityHelp = "SIZE: bytes with an optional k, m, g or t suffix (binary: 10G = 10 GiB; Ki, Mi, Gi, Ti also accepted)";

    public static string Name(string command, List<string> operands)
    {
        var name = OptionLoop.One(operands, command, "NAME");
        return NamePattern().IsMatch(name)
            ? name
            : throw new UsageException($"{command}: '{name}' is not a volume name (1-63 characters of a-z, 0-9, '.' and '-', starting with a letter or digit)");
    }

    public static ulong Capacity(string option, string text)
    {
        var plain = text.EndsWith("i", StringComparison.Ordinal) && text.Length > 2 && char.IsAsciiLetter(text[^2]) ? text[..^1] : text;
        if (!Values.TryParseSize(plain, out var bytes))
        {
            throw new UsageException($"{option}: '{text}' is not a size (a number with an optional k, m, g or t suffix)");
        }

        return bytes > 0 ? bytes : throw new UsageException($"{option}: the capacity must be more than 0 bytes");
    }

    /// <summary>One text line per volume: NAME CAPACITY USED FILES OWNER PATH (sizes in bytes).</summary>
    public static string Line(VolumeInfo v) =>
        string.Join(' ', v.Name, v.CapacityBytes.ToString(CultureInfo.InvariantCulture), v.UsedBytes.ToString(CultureInfo.InvariantCulture),
            v.Files.ToString(CultureInfo.InvariantCulture), v.Owner.Length == 0 ? "-" : v.Owner, v.Path);

    public const string Header = "NAME CAPACITY USED FILES OWNER PATH";

    public static string Json(IEnumerable<VolumeInfo> volumes, bool array)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            if (array)
            {
                w.WriteStartArray();
            }

            foreach (var v in volumes)
            {
                w.WriteStartObject();
                w.WriteString("name", v.Name);
                w.WriteString("path", v.Path);
                w.WriteString("root", v.Root.ToFid().ToString());
                w.WriteNumber("capacity_bytes", v.CapacityBytes);
                w.WriteNumber("used_bytes", v.UsedBytes);
                w.WriteNumber("files", v.Files);
                w.WriteString("owner", v.Owner);
                w.WriteNumber("mirrors", v.Layout?.Mirrors.Count ?? 0);
                w.WriteEndObject();
            }

            if (array)
            {
                w.WriteEndArray();
            }
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}

/// <summary><c>volume create NAME --capacity SIZE</c>: a volume; the same name and capacity again is not an error.</summary>
public sealed class VolumeCreateCommand : ICommand
{
    public string Name => "volume create";

    public string Summary => "create a volume /volumes/NAME with a capacity quota";

    public string Usage => $"""
        usage: mirrorctl volume create NAME --capacity SIZE [--owner OWNER] [--json] [-N[COUNT] [SETSTRIPE OPTIONS] ...]
        Creates the directory /volumes/NAME with a capacity quota: writes that would take the volume's files
        (the sum of their sizes) past SIZE fail with "No space left on device". Creating an existing volume
        with the same capacity prints it and succeeds; with another capacity it fails (volume resize changes it).
          NAME                 1-63 characters of a-z, 0-9, '.' and '-', starting with a letter or digit
          --capacity SIZE      the quota; {VolumeArgs.CapacityHelp}
          --owner OWNER        a free-form owner string (e.g. NAMESPACE/CLAIM)
          --json               print the volume as JSON instead of a text line
          -N, setstripe options   the default layout of new files in the volume (e.g. -N2 for two mirrors)
        """ + "\n" + SetstripeHelp.Options;

    public static VolumeCreateArgs Parse(IReadOnlyList<string> args)
    {
        ulong? capacity = null;
        var owner = "";
        var json = false;
        var layout = new LayoutSpecBuilder(requireMirrorOption: false, "volume create");
        var operands = OptionLoop.Run(args, "volume create", (token, reader) =>
        {
            if (OptionLoop.Is(token, "--capacity"))
            {
                capacity = VolumeArgs.Capacity("--capacity", reader.Value(token));
                return true;
            }

            if (OptionLoop.Is(token, "--owner"))
            {
                owner = reader.Value(token);
                return true;
            }

            if (token == "--json")
            {
                json = true;
                return true;
            }

            return layout.TryConsume(token, reader);
        });
        var name = VolumeArgs.Name("volume create", operands);
        return new VolumeCreateArgs(name, capacity ?? throw new UsageException("volume create: --capacity SIZE is required"), owner, layout.Build(), json);
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = Parse(args);
        var client = await context.ClientAsync();
        var volume = await client.Mds.CreateVolumeAsync(parsed.Name, parsed.Capacity, parsed.Owner, parsed.Layout);
        context.Out.WriteLine(parsed.Json ? VolumeArgs.Json([volume], array: false) : VolumeArgs.Line(volume));
        return 0;
    }
}

/// <summary><c>volume ls [--json]</c>: every volume with its capacity and usage.</summary>
public sealed class VolumeListCommand : ICommand
{
    public string Name => "volume ls";

    public string Summary => "list volumes with capacity, used bytes and file count";

    public string Usage => """
        usage: mirrorctl volume ls [--json]
        Text: a header line, then NAME CAPACITY USED FILES OWNER PATH per volume (sizes in bytes; OWNER '-' when empty).
          --json    a JSON array of {name, path, root, capacity_bytes, used_bytes, files, owner, mirrors}
        """;

    public static bool Parse(IReadOnlyList<string> args)
    {
        var json = false;
        var operands = OptionLoop.Run(args, "volume ls", (token, _) => token == "--json" && (json = true));
        return operands.Count == 0 ? json : throw new UsageException($"volume ls: unexpected argument '{operands[0]}'");
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var json = Parse(args);
        var client = await context.ClientAsync();
        var volumes = await client.Mds.ListVolumesAsync();
        if (json)
        {
            context.Out.WriteLine(VolumeArgs.Json(volumes, array: true));
            return 0;
        }

        context.Out.WriteLine(VolumeArgs.Header);
        foreach (var v in volumes)
        {
            context.Out.WriteLine(VolumeArgs.Line(v));
        }

        return 0;
    }
}

/// <summary><c>volume rm NAME [--force]</c>.</summary>
public sealed class VolumeRemoveCommand : ICommand
{
    public string Name => "volume rm";

    public string Summary => "remove a volume (--force: with everything in it)";

    public string Usage => """
        usage: mirrorctl volume rm NAME [--force]
        Removes the volume and its directory /volumes/NAME. A volume that holds files or directories is
        refused ("Directory not empty") unless --force is given: then all of its contents are removed and
        their data destroyed.
        """;

    public static (string Name, bool Force) Parse(IReadOnlyList<string> args)
    {
        var force = false;
        var operands = OptionLoop.Run(args, "volume rm", (token, _) => token is "--force" or "-f" && (force = true));
        return (VolumeArgs.Name("volume rm", operands), force);
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var (name, force) = Parse(args);
        var client = await context.ClientAsync();
        await client.Mds.DeleteVolumeAsync(name, force);
        return 0;
    }
}

/// <summary><c>volume resize NAME --capacity SIZE</c>.</summary>
public sealed class VolumeResizeCommand : ICommand
{
    public string Name => "volume resize";

    public string Summary => "change a volume's capacity";

    public string Usage => $"""
        usage: mirrorctl volume resize NAME --capacity SIZE [--json]
        Sets the volume's capacity; a capacity below what its files use is refused ("No space left on device").
          --capacity SIZE   {VolumeArgs.CapacityHelp}
          --json            print the volume as JSON instead of a text line
        """;

    public static (string Name, ulong Capacity, bool Json) Parse(IReadOnlyList<string> args)
    {
        ulong? capacity = null;
        var json = false;
        var operands = OptionLoop.Run(args, "volume resize", (token, reader) =>
        {
            if (OptionLoop.Is(token, "--capacity"))
            {
                capacity = VolumeArgs.Capacity("--capacity", reader.Value(token));
                return true;
            }

            return token == "--json" && (json = true);
        });
        var name = VolumeArgs.Name("volume resize", operands);
        return (name, capacity ?? throw new UsageException("volume resize: --capacity SIZE is required"), json);
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var (name, capacity, json) = Parse(args);
        var client = await context.ClientAsync();
        var volume = await client.Mds.ResizeVolumeAsync(name, capacity);
        context.Out.WriteLine(json ? VolumeArgs.Json([volume], array: false) : VolumeArgs.Line(volume));
        return 0;
    }
}
