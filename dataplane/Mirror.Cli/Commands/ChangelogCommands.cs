using System.Globalization;
using System.Text.Json;
using Mirror.Cli.Parsing;
using Mirror.Client.Metadata;
using Mirror.Protocol.Mds;

namespace Mirror.Cli.Commands;

public sealed record ChangelogArgs(ulong After, ulong? Max, bool Json);

/// <summary>
/// <c>changelog</c> (lfs changelog, flr-overview "Changelog Tracking"): the MDS changelog records after an
/// index, as lfs-like text lines or a JSON array with the fields index, type, time, fid, parent, name,
/// detail, mirror_ids.
/// </summary>
public sealed class ChangelogCommand : ICommand
{
    private const uint PageRecords = 1000;

    public string Name => "changelog";

    public string Summary => "print MDS changelog records (register, clear: changelog --help)";

    public string Usage => """
        usage: mirrorctl changelog [--after N] [--max N] [--json]
               mirrorctl changelog register NAME
               mirrorctl changelog clear CONSUMER N
          --after N    only records with an index greater than N (default 0: all kept records)
          --max N      at most N records
          --json       a JSON array of {index, type, time, fid, parent, name, detail, mirror_ids}
        Text lines: INDEX TYPE TIME t=[FID] p=[PARENT_FID] NAME [mirrors=IDS] [DETAIL]
        register NAME prints the new consumer id; clear CONSUMER N lets the MDS drop records up to N
        once every consumer has cleared them.
        """;

    public static ChangelogArgs Parse(IReadOnlyList<string> args)
    {
        ulong after = 0;
        ulong? max = null;
        var json = false;
        var operands = OptionLoop.Run(args, "changelog", (token, reader) =>
        {
            if (token == "--json")
            {
                json = true;
                return true;
            }

            if (OptionLoop.Is(token, "--after"))
            {
                after = Index("--after", reader.Value(token));
                return true;
            }

            if (OptionLoop.Is(token, "--max"))
            {
                max = Index("--max", reader.Value(token));
                return true;
            }

            return false;
        });
        if (operands.Count != 0)
        {
            throw new UsageException($"changelog: unexpected argument '{operands[0]}' (subcommands: register, clear)");
        }

        return new ChangelogArgs(after, max, json);
    }

    public static ulong Index(string option, string text) =>
        ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new UsageException($"{option}: '{text}' is not a record index (a number from 0)");

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = Parse(args);
        var client = await context.ClientAsync();
        var records = new List<ChangelogRecord>();
        var after = parsed.After;
        while (parsed.Max is not { } max || (ulong)records.Count < max)
        {
            var want = parsed.Max is { } m ? (uint)Math.Min(PageRecords, m - (ulong)records.Count) : PageRecords;
            var page = await client.Mds.ChangelogReadAsync(after, want);
            if (page.Records.Count == 0)
            {
                break;
            }

            records.AddRange(page.Records);
            after = page.Records[^1].Index;
        }

        if (parsed.Json)
        {
            context.Out.WriteLine(Json(records));
        }
        else
        {
            foreach (var r in records)
            {
                context.Out.WriteLine(Text(r));
            }
        }

        return 0;
    }

    /// <summary>CL_MIRROR_STALE → "MIRROR_STALE".</summary>
    public static string TypeName(ChangelogType type) =>
        type.ToString() switch
        {
            var s when s.StartsWith("Cl", StringComparison.Ordinal) => string.Concat(s[2..].Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant(),
            var s => s.ToUpperInvariant(),
        };

    public static string Time(long timeNs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(timeNs / 1_000_000).AddTicks(timeNs % 1_000_000 / 100)
            .ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static string Text(ChangelogRecord r)
    {
        var line = $"{r.Index} {TypeName(r.Type)} {Time(r.TimeNs)} t={r.Fid.ToFid()} p={r.Parent.ToFid()} {r.Name}";
        if (r.MirrorIds.Count != 0)
        {
            line += $" mirrors={string.Join(',', r.MirrorIds)}";
        }

        return r.Detail.Length == 0 ? line : $"{line} {r.Detail}";
    }

    public static string Json(IEnumerable<ChangelogRecord> records)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var r in records)
            {
                w.WriteStartObject();
                w.WriteNumber("index", r.Index);
                w.WriteString("type", TypeName(r.Type));
                w.WriteString("time", Time(r.TimeNs));
                w.WriteString("fid", r.Fid.ToFid().ToString());
                w.WriteString("parent", r.Parent.ToFid().ToString());
                w.WriteString("name", r.Name);
                w.WriteString("detail", r.Detail);
                w.WriteStartArray("mirror_ids");
                foreach (var id in r.MirrorIds)
                {
                    w.WriteNumberValue(id);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}

/// <summary><c>changelog register NAME</c>: a new changelog consumer; prints its id.</summary>
public sealed class ChangelogRegisterCommand : ICommand
{
    public string Name => "changelog register";

    public string Summary => "register a changelog consumer; prints its id";

    public string Usage => "usage: mirrorctl changelog register NAME\n";

    public static string Parse(IReadOnlyList<string> args) =>
        OptionLoop.One(OptionLoop.Run(args, "changelog register", (_, _) => false), "changelog register", "NAME");

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var name = Parse(args);
        var client = await context.ClientAsync();
        var reply = await client.Mds.ChangelogRegisterAsync(name);
        context.Out.WriteLine(reply.Consumer);
        return 0;
    }
}

/// <summary><c>changelog clear CONSUMER N</c>: the consumer has processed records up to N.</summary>
public sealed class ChangelogClearCommand : ICommand
{
    public string Name => "changelog clear";

    public string Summary => "mark changelog records up to N as processed by CONSUMER";

    public string Usage => "usage: mirrorctl changelog clear CONSUMER N\n";

    public static (string Consumer, ulong UpTo) Parse(IReadOnlyList<string> args)
    {
        var operands = OptionLoop.Run(args, "changelog clear", (_, _) => false);
        return operands.Count == 2
            ? (operands[0], ChangelogCommand.Index("N", operands[1]))
            : throw new UsageException("changelog clear: expected CONSUMER and N");
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var (consumer, upTo) = Parse(args);
        var client = await context.ClientAsync();
        await client.Mds.ChangelogClearAsync(consumer, upTo);
        return 0;
    }
}
