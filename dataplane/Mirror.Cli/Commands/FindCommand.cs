using System.Globalization;
using System.Text.Json;
using Mirror.Cli.Parsing;
using Mirror.Client.Files;
using Mirror.Client.Metadata;
using Mirror.Core.Layouts;

namespace Mirror.Cli.Commands;

/// <summary>--mirror-count [+-]N: more than N, fewer than N, or exactly N.</summary>
public sealed record CountFilter(char Comparison, int Count)
{
    public bool Matches(int value) => Comparison switch
    {
        '+' => value > Count,
        '-' => value < Count,
        _ => value == Count,
    };
}

/// <summary>--mirror-state [^]ro|wp|sp.</summary>
public sealed record StateFilter(bool Negated, FlrState State)
{
    public bool Matches(FlrState value) => (value == State) != Negated;
}

public sealed record FindArgs(string Path, CountFilter? MirrorCount, StateFilter? MirrorState, char? Type, bool Json);

/// <summary><c>find</c> (flr-overview "lfs find"): walks a directory tree and prints what matches.</summary>
public sealed class FindCommand : ICommand
{
    public string Name => "find";

    public string Summary => "find files by mirror count, FLR state or type";

    public string Usage => """
        usage: mirrorctl find PATH [--mirror-count [+-]N] [--mirror-state [^]ro|wp|sp] [--type f|d|l] [--json]
          --mirror-count [+-]N     files with more than (+N), fewer than (-N) or exactly N mirrors
          --mirror-state [^]STATE  files in (or, with ^, not in) FLR state ro (read-only), wp (write pending), sp (sync pending)
          --type f|d|l             regular files, directories or symlinks
          --json                   print a JSON array of {"path","type","mirror_count","flr_state"}
        """;

    public static FindArgs Parse(IReadOnlyList<string> args)
    {
        CountFilter? count = null;
        StateFilter? state = null;
        char? type = null;
        var json = false;
        var paths = OptionLoop.Run(args, "find", (token, reader) =>
        {
            if (token == "--json")
            {
                json = true;
                return true;
            }

            if (OptionLoop.Is(token, "--mirror-count", "-N"))
            {
                count = ParseCount(reader.Value(token));
                return true;
            }

            if (OptionLoop.Is(token, "--mirror-state"))
            {
                state = ParseState(reader.Value(token));
                return true;
            }

            if (OptionLoop.Is(token, "--type", "-type", "-t"))
            {
                var value = reader.Value(token);
                type = value is "f" or "d" or "l" ? value[0] : throw new UsageException($"--type: '{value}' is not a type (f, d or l)");
                return true;
            }

            return false;
        });
        return new FindArgs(OptionLoop.One(paths, "find", "PATH"), count, state, type, json);
    }

    public static CountFilter ParseCount(string text)
    {
        var comparison = text.Length > 0 && text[0] is '+' or '-' ? text[0] : '=';
        var digits = comparison == '=' ? text : text[1..];
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? new CountFilter(comparison, n)
            : throw new UsageException($"--mirror-count: '{text}' is not a count ([+-]N)");
    }

    public static StateFilter ParseState(string text)
    {
        var negated = text.StartsWith('^');
        return FlrStateNames.TryParseShort(negated ? text[1..] : text, out var state)
            ? new StateFilter(negated, state)
            : throw new UsageException($"--mirror-state: '{text}' is not a state ([^]ro, wp or sp)");
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = Parse(args);
        var client = await context.ClientAsync();
        var rootPath = context.Path(parsed.Path);
        var root = rootPath.FsPath;
        var matches = new List<(string Path, char Type, int? Mirrors, FlrState? State)>();
        var rootAttr = await client.StatAsync(root);
        await WalkAsync(client, parsed, root, rootAttr.Kind, rootAttr.Fid, matches);
        matches = [.. matches.Select(m => (rootPath.Display(m.Path), m.Type, m.Mirrors, m.State))];
        if (parsed.Json)
        {
            using var stream = new MemoryStream();
            await using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartArray();
                foreach (var m in matches)
                {
                    w.WriteStartObject();
                    w.WriteString("path", m.Path);
                    w.WriteString("type", m.Type.ToString());
                    if (m.Mirrors is { } n)
                    {
                        w.WriteNumber("mirror_count", n);
                        w.WriteString("flr_state", FlrStateNames.Short(m.State!.Value));
                    }
                    else
                    {
                        w.WriteNull("mirror_count");
                        w.WriteNull("flr_state");
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            context.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
        }
        else
        {
            foreach (var m in matches)
            {
                context.Out.WriteLine(m.Path);
            }
        }

        return 0;
    }

    private static async Task WalkAsync(MirrorClient client, FindArgs args, string path, FileKind kind, Mirror.Core.Fid fid, List<(string, char, int?, FlrState?)> matches)
    {
        var type = kind switch { FileKind.Directory => 'd', FileKind.Symlink => 'l', _ => 'f' };
        int? mirrors = null;
        FlrState? state = null;
        if (kind == FileKind.Regular)
        {
            var layout = (await client.Mds.GetLayoutAsync(fid)).Layout;
            mirrors = layout.Mirrors.Count;
            state = layout.State;
        }

        var layoutFilter = args.MirrorCount is not null || args.MirrorState is not null;
        var matchesType = args.Type is null || args.Type == type;
        var matchesLayout = !layoutFilter || (mirrors is { } n && (args.MirrorCount?.Matches(n) ?? true) && (args.MirrorState?.Matches(state!.Value) ?? true));
        if (matchesType && matchesLayout)
        {
            matches.Add((path, type, mirrors, state));
        }

        if (kind != FileKind.Directory)
        {
            return;
        }

        var entries = await client.Mds.ReaddirAsync(fid);
        foreach (var entry in entries.Where(e => e.Name is not "." and not "..").OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            await WalkAsync(client, args, NamespacePath.Combine(path, entry.Name), entry.Kind, entry.Fid, matches);
        }
    }
}
