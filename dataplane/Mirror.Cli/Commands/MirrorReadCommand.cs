using Mirror.Cli.Parsing;
using Mirror.Core.Errors;

namespace Mirror.Cli.Commands;

public sealed record MirrorReadArgs(ushort MirrorId, string Output, string File);

/// <summary>
/// <c>mirror read</c> (lfs mirror read): the bytes [0, size) of one mirror, without failover. Like lfs it
/// reads a STALE mirror too, with a warning on stderr, so a test or an administrator can see what a
/// resync would overwrite.
/// </summary>
public sealed class MirrorReadCommand : ICommand
{
    public string Name => "mirror read";

    public string Summary => "copy one mirror's bytes out of a file (no failover)";

    public string Usage => """
        usage: mirrorctl mirror read --mirror-id ID [-o OUTFILE|-] FILE
          -N, --mirror-id ID     the mirror to read (see getstripe)
          -o, --outfile OUTFILE  write the bytes there (default and -: stdout)
        Reads [0, file size) from that mirror only. A STALE mirror is read as it is, with a warning on
        stderr; an unknown mirror id exits 1 naming it.
        """;

    public static MirrorReadArgs Parse(IReadOnlyList<string> args)
    {
        ushort? id = null;
        var output = "-";
        var files = OptionLoop.Run(args, "mirror read", (token, reader) =>
        {
            if (OptionLoop.Is(token, "--mirror-id", "-N"))
            {
                id = Values.MirrorId("--mirror-id", reader.Value(token));
                return true;
            }

            if (OptionLoop.Is(token, "-o", "--outfile"))
            {
                output = reader.Value(token);
                return true;
            }

            return false;
        });
        var file = OptionLoop.One(files, "mirror read", "FILE");
        return id is null
            ? throw new UsageException("mirror read: --mirror-id ID is required")
            : new MirrorReadArgs(id.Value, output, file);
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = Parse(args);
        var client = await context.ClientAsync();
        var path = context.FsPath(parsed.File);

        // Checked before OUTFILE is created, so an unknown id leaves no empty file behind.
        var layout = await client.GetLayoutAsync(path);
        if (layout.Layout.Mirror(parsed.MirrorId) is null)
        {
            throw new MirrorException(Errno.EINVAL, $"unknown mirror id {parsed.MirrorId} in {path}");
        }

        await using var output = parsed.Output == "-" ? context.OpenStdout() : File.Create(parsed.Output);
        var result = await client.ReadMirrorAsync(path, parsed.MirrorId, output);
        if (result.Mirror.IsStale)
        {
            await context.Error.WriteLineAsync($"mirrorctl: warning: {path}: mirror {parsed.MirrorId} is STALE; its bytes may be older than the file's (mirror resync updates it)");
        }

        return 0;
    }
}
