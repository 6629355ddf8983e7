using System.Text.Json;
using Mirror.Cli.Output;
using Mirror.Cli.Parsing;
using Mirror.Core.Errors;

namespace Mirror.Cli.Commands;

public sealed record GetstripeArgs(bool Verbose, ushort? MirrorId, bool Json, IReadOnlyList<string> Files);

/// <summary><c>getstripe</c> (flr-overview "lfs getstripe"): the layout of files, as text or JSON.</summary>
public sealed class GetstripeCommand : ICommand
{
    public string Name => "getstripe";

    public string Summary => "show the layout (mirrors, components, stripes) of files";

    public string Usage => """
        usage: mirrorctl getstripe [-v] [--mirror-id ID] [--json] FILE...
          -v, --verbose      also list each component's OST objects (l_ost_idx)
          --mirror-id ID     show only this mirror
          --json             one JSON object per file (an array when several files are given)
        """;

    public static GetstripeArgs Parse(IReadOnlyList<string> args)
    {
        var verbose = false;
        var json = false;
        ushort? mirrorId = null;
        var files = OptionLoop.Run(args, "getstripe", (token, reader) =>
        {
            switch (token)
            {
                case "-v" or "--verbose": verbose = true; return true;
                case "--json": json = true; return true;
            }

            if (OptionLoop.Is(token, "--mirror-id", "-m"))
            {
                mirrorId = Values.MirrorId("--mirror-id", reader.Value(token));
                return true;
            }

            return false;
        });
        return new GetstripeArgs(verbose, mirrorId, json, OptionLoop.AtLeastOne(files, "getstripe", "FILE"));
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = Parse(args);
        var client = await context.ClientAsync();
        using var stream = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            if (parsed.Json && parsed.Files.Count > 1)
            {
                writer.WriteStartArray();
            }

            foreach (var file in parsed.Files)
            {
                var path = context.Path(file);
                var result = await client.GetLayoutAsync(path.FsPath);
                var mirrors = result.Layout.Mirrors.Where(m => parsed.MirrorId is null || m.Id == parsed.MirrorId).ToArray();
                if (mirrors.Length == 0)
                {
                    throw new MirrorException(Errno.EINVAL, $"unknown mirror id {parsed.MirrorId} in {path.Display()}");
                }

                if (parsed.Json)
                {
                    LayoutFormatter.Json(writer, path.Display(), result.Attr.Fid, result.Layout, mirrors);
                }
                else
                {
                    context.Out.Write(LayoutFormatter.Text(path.Display(), result.Layout, mirrors, parsed.Verbose));
                }
            }

            if (parsed.Json && parsed.Files.Count > 1)
            {
                writer.WriteEndArray();
            }
        }

        if (parsed.Json)
        {
            context.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
        }

        return 0;
    }
}
