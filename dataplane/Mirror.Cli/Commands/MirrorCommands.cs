using Mirror.Cli.Parsing;
using Mirror.Client.Mirrors;
using Mirror.Protocol.Mds;

namespace Mirror.Cli.Commands;

public sealed record MirrorCreateArgs(LayoutSpec Layout, IReadOnlyList<string> Files);

public sealed record MirrorExtendArgs(LayoutSpec? Layout, string? Victim, bool NoVerify, string File);

public sealed record MirrorSplitArgs(ushort MirrorId, bool Destroy, string? SplitFile, string File);

public sealed record MirrorResyncArgs(IReadOnlyList<ushort>? Only, IReadOnlyList<string> Files);

public sealed record MirrorVerifyArgs(bool Verbose, IReadOnlyList<ushort>? Only, IReadOnlyList<string> Files);

/// <summary><c>mirror create</c> (flr-overview "lfs mirror create").</summary>
public sealed class MirrorCreateCommand : ICommand
{
    public string Name => "mirror create";

    public string Summary => "create a mirrored file (-N groups of setstripe options)";

    public string Usage => """
        usage: mirrorctl mirror create -N[COUNT] [SETSTRIPE OPTIONS] [-N[COUNT] [SETSTRIPE OPTIONS] ...] FILE...
          -N[COUNT], --mirror-count[=COUNT]  start a group of COUNT mirrors (default 1); options after it apply to the group
        """ + "\n" + SetstripeHelp.Options;

    public static MirrorCreateArgs Parse(IReadOnlyList<string> args)
    {
        var layout = new LayoutSpecBuilder(requireMirrorOption: true, "mirror create");
        var files = OptionLoop.Run(args, "mirror create", layout.TryConsume);
        var spec = layout.Build() ?? throw new UsageException("mirror create: -N is required (e.g. mirror create -N2 FILE)");
        return new MirrorCreateArgs(spec, OptionLoop.AtLeastOne(files, "mirror create", "FILE"));
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = Parse(args);
        var client = await context.ClientAsync();
        foreach (var file in parsed.Files)
        {
            await using var handle = await client.CreateAsync(context.FsPath(file), parsed.Layout, exclusive: true);
        }

        return 0;
    }
}

/// <summary><c>mirror extend</c> (flr-overview "lfs mirror extend").</summary>
public sealed class MirrorExtendCommand : ICommand
{
    public string Name => "mirror extend";

    public string Summary => "add mirrors to a file (new ones, resynced; or a victim file's)";

    public string Usage => """
        usage: mirrorctl mirror extend [--no-verify] -N[COUNT] [SETSTRIPE OPTIONS] ... FILE
               mirrorctl mirror extend [--no-verify] -N -f VICTIM_FILE FILE
          -N[COUNT]          add COUNT mirrors with the setstripe options that follow; they are resynced from the file
          -f VICTIM_FILE     take the victim file's mirror(s) instead; the victim file goes away
          --no-verify        do not compare the data first (victim) or after the resync (new mirrors)
        """ + "\n" + SetstripeHelp.Options;

    public static MirrorExtendArgs Parse(IReadOnlyList<string> args)
    {
        var layout = new LayoutSpecBuilder(requireMirrorOption: true, "mirror extend");
        string? victim = null;
        var noVerify = false;
        var files = OptionLoop.Run(args, "mirror extend", (token, reader) =>
        {
            if (token == "--no-verify")
            {
                noVerify = true;
                return true;
            }

            if (OptionLoop.Is(token, "-f", "--file"))
            {
                victim = reader.Value(token);
                return true;
            }

            return layout.TryConsume(token, reader);
        });
        var spec = layout.Build() ?? throw new UsageException("mirror extend: -N is required (e.g. mirror extend -N -c 2 FILE)");
        var file = OptionLoop.One(files, "mirror extend", "FILE");
        return new MirrorExtendArgs(victim is null ? spec : null, victim, noVerify, file);
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = Parse(args);
        var client = await context.ClientAsync();
        var path = context.FsPath(parsed.File);
        if (parsed.Victim is not null)
        {
            await client.ExtendWithVictimAsync(path, context.FsPath(parsed.Victim), !parsed.NoVerify);
        }
        else
        {
            await client.ExtendAsync(path, parsed.Layout!, !parsed.NoVerify);
        }

        return 0;
    }
}

/// <summary><c>mirror split</c> (flr-overview "lfs mirror split").</summary>
public sealed class MirrorSplitCommand : ICommand
{
    public string Name => "mirror split";

    public string Summary => "detach a mirror: destroy it (-d) or make it a new file (-f)";

    public string Usage => """
        usage: mirrorctl mirror split --mirror-id ID [-d] [-f NEW_FILE] FILE
          --mirror-id ID     the mirror to detach
          -d, --destroy      destroy the detached mirror's data
          -f NEW_FILE        the detached mirror becomes NEW_FILE (default: FILE.mirror~ID)
        """;

    public static MirrorSplitArgs Parse(IReadOnlyList<string> args)
    {
        ushort? id = null;
        var destroy = false;
        string? newFile = null;
        var files = OptionLoop.Run(args, "mirror split", (token, reader) =>
        {
            if (OptionLoop.Is(token, "--mirror-id"))
            {
                id = Values.MirrorId("--mirror-id", reader.Value(token));
                return true;
            }

            if (token is "-d" or "--destroy")
            {
                destroy = true;
                return true;
            }

            if (OptionLoop.Is(token, "-f", "--file"))
            {
                newFile = reader.Value(token);
                return true;
            }

            return false;
        });
        var file = OptionLoop.One(files, "mirror split", "FILE");
        if (id is null)
        {
            throw new UsageException("mirror split: --mirror-id ID is required");
        }

        if (destroy && newFile is not null)
        {
            throw new UsageException("-f: cannot be combined with -d (a destroyed mirror has no new file)");
        }

        return new MirrorSplitArgs(id.Value, destroy, newFile, file);
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = Parse(args);
        var client = await context.ClientAsync();
        var path = context.FsPath(parsed.File);
        var splitPath = parsed.Destroy ? null : context.FsPath(parsed.SplitFile ?? $"{path}.mirror~{parsed.MirrorId}");
        await client.SplitAsync(path, parsed.MirrorId, parsed.Destroy, splitPath);
        return 0;
    }
}

/// <summary><c>mirror resync</c> (flr-overview "lfs mirror resync").</summary>
public sealed class MirrorResyncCommand : ICommand
{
    public string Name => "mirror resync";

    public string Summary => "copy the in-sync mirror onto stale mirrors";

    public string Usage => """
        usage: mirrorctl mirror resync [--only ID[,ID...]] FILE...
          --only ID[,ID...]  resync only these mirrors (default: every stale mirror)
        """;

    public static MirrorResyncArgs Parse(IReadOnlyList<string> args)
    {
        ushort[]? only = null;
        var files = OptionLoop.Run(args, "mirror resync", (token, reader) =>
        {
            if (OptionLoop.Is(token, "--only"))
            {
                only = Values.MirrorIds("--only", reader.Value(token));
                return true;
            }

            return false;
        });
        return new MirrorResyncArgs(only, OptionLoop.AtLeastOne(files, "mirror resync", "FILE"));
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = Parse(args);
        var client = await context.ClientAsync();
        foreach (var file in parsed.Files)
        {
            await client.ResyncAsync(context.FsPath(file), parsed.Only);
        }

        return 0;
    }
}

/// <summary><c>mirror verify</c> (flr-overview "lfs mirror verify").</summary>
public sealed class MirrorVerifyCommand : ICommand
{
    public string Name => "mirror verify";

    public string Summary => "check that the mirrors of a file are byte-identical";

    public string Usage => """
        usage: mirrorctl mirror verify [-v] [--only ID,ID[,ID...]] FILE...
          -v, --verbose      print each mirror's SHA-256 and the result per file
          --only ID,ID       compare only these mirrors (default: every in-sync mirror)
        Exits 1 when mirrors differ, naming the mirrors and the first differing offset.
        """;

    public static MirrorVerifyArgs Parse(IReadOnlyList<string> args)
    {
        ushort[]? only = null;
        var verbose = false;
        var files = OptionLoop.Run(args, "mirror verify", (token, reader) =>
        {
            if (token is "-v" or "--verbose")
            {
                verbose = true;
                return true;
            }

            if (OptionLoop.Is(token, "--only"))
            {
                only = Values.MirrorIds("--only", reader.Value(token));
                if (only.Length < 2)
                {
                    throw new UsageException("--only: verify compares at least two mirrors (e.g. --only 1,2)");
                }

                return true;
            }

            return false;
        });
        return new MirrorVerifyArgs(verbose, only, OptionLoop.AtLeastOne(files, "mirror verify", "FILE"));
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = Parse(args);
        var client = await context.ClientAsync();
        var exit = 0;
        foreach (var file in parsed.Files)
        {
            var cliPath = context.Path(file);
            var path = cliPath.Display();
            var result = await client.VerifyAsync(cliPath.FsPath, parsed.Only);
            if (parsed.Verbose)
            {
                context.Out.WriteLine($"{path}: verifying mirrors {string.Join(",", result.MirrorIds)} over {result.Size} bytes");
                foreach (var (id, sum) in result.Checksums.OrderBy(c => c.Key))
                {
                    context.Out.WriteLine($"{path}: mirror {id} sha256 {sum}");
                }
            }

            if (result.Identical)
            {
                if (parsed.Verbose)
                {
                    context.Out.WriteLine($"{path}: mirrors {string.Join(",", result.MirrorIds)} are identical");
                }

                continue;
            }

            exit = 1;
            context.Error.WriteLine($"mirrorctl: mirror verify: {path}: {result.Describe()}");
        }

        return exit;
    }
}
