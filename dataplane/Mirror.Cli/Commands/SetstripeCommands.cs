using Mirror.Cli.Parsing;
using Mirror.Protocol.Mds;

namespace Mirror.Cli.Commands;

public sealed record SetstripeArgs(LayoutSpec Layout, string File);

/// <summary><c>setstripe</c> (flr-overview "lfs setstripe"): creates FILE, which must not exist, with a layout.</summary>
public sealed class SetstripeCommand : ICommand
{
    public string Name => "setstripe";

    public string Summary => "create a file with a given layout (striping, PFL components, mirrors)";

    public string Usage => """
        usage: mirrorctl setstripe [-N[COUNT]] [SETSTRIPE OPTIONS] [-N[COUNT] ...] FILE
        FILE must not exist yet.
        """ + "\n" + SetstripeHelp.Options;

    public static SetstripeArgs Parse(IReadOnlyList<string> args, string command = "setstripe")
    {
        var layout = new LayoutSpecBuilder(requireMirrorOption: false, command);
        var files = OptionLoop.Run(args, command, layout.TryConsume);
        var file = OptionLoop.One(files, command, "FILE");
        var spec = layout.Build() ?? throw new UsageException($"{command}: no layout option given (e.g. -c 2 -S 4M)");
        return new SetstripeArgs(spec, file);
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = Parse(args);
        var client = await context.ClientAsync();
        await using var handle = await client.CreateAsync(context.FsPath(parsed.File), parsed.Layout, exclusive: true);
        return 0;
    }
}

/// <summary><c>migrate</c> (flr-overview "lfs migrate"): restripes an existing file, keeping its data.</summary>
public sealed class MigrateCommand : ICommand
{
    public string Name => "migrate";

    public string Summary => "restripe an existing file to a new layout (same options as setstripe)";

    public string Usage => """
        usage: mirrorctl migrate [-N[COUNT]] [SETSTRIPE OPTIONS] ... FILE
        The data is copied to the new layout; if the file is written meanwhile, nothing changes (error).
        """ + "\n" + SetstripeHelp.Options;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = SetstripeCommand.Parse(args, "migrate");
        var client = await context.ClientAsync();
        await client.MigrateAsync(context.FsPath(parsed.File), parsed.Layout);
        return 0;
    }
}
