using System.Globalization;
using Mirror.Cli.Parsing;
using Mirror.Client.Files;
using Mirror.Client.Metadata;
using Mirror.Core.Errors;

namespace Mirror.Cli.Commands;

/// <summary>Copy buffers of the data commands: large, so each OST call carries a lot.</summary>
internal static class Transfer
{
    public const int ChunkBytes = 4 * 1024 * 1024;
}

/// <summary><c>put SRC|- DST</c>: copies a local file or stdin into the file system.</summary>
public sealed class PutCommand : ICommand
{
    public string Name => "put";

    public string Summary => "copy a local file (or - for stdin) into the file system";

    public string Usage => """
        usage: mirrorctl put SRC|- DST
        DST is created with the default layout unless it exists (then it is overwritten, keeping its layout).
        """;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var operands = OptionLoop.Run(args, Name, (_, _) => false);
        if (operands.Count != 2)
        {
            throw new UsageException("put: expected SRC and DST");
        }

        var (src, dst) = (operands[0], context.FsPath(operands[1]));
        Stream input;
        try
        {
            input = src == "-" ? context.OpenStdin() : File.OpenRead(src);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MirrorException(Errno.ENOENT, $"{src}: cannot read the local file: {e.Message}");
        }

        await using (input)
        {
            var client = await context.ClientAsync();
            await using var file = await client.CreateAsync(dst);
            if (!file.Created && file.Size > 0)
            {
                await file.TruncateAsync(0);
            }

            var buffer = new byte[Transfer.ChunkBytes];
            ulong offset = 0;
            while (true)
            {
                var n = await input.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false);
                if (n == 0)
                {
                    break;
                }

                await file.WriteAsync(offset, buffer.AsMemory(0, n));
                offset += (ulong)n;
            }

            await file.CloseAsync();
        }

        return 0;
    }
}

/// <summary><c>get SRC DST|-</c> and <c>cat FILE</c>: copy a file out of the file system.</summary>
public sealed class GetCommand(bool cat) : ICommand
{
    public string Name => cat ? "cat" : "get";

    public string Summary => cat ? "print a file to stdout" : "copy a file out of the file system (- for stdout)";

    public string Usage => cat ? "usage: mirrorctl cat FILE\n" : "usage: mirrorctl get SRC DST|-\n";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var operands = OptionLoop.Run(args, Name, (_, _) => false);
        string src, dst;
        if (cat)
        {
            (src, dst) = (OptionLoop.One(operands, Name, "FILE"), "-");
        }
        else if (operands.Count == 2)
        {
            (src, dst) = (operands[0], operands[1]);
        }
        else
        {
            throw new UsageException("get: expected SRC and DST (- for stdout)");
        }

        var client = await context.ClientAsync();
        await using var file = await client.OpenAsync(context.FsPath(src));
        await using var output = dst == "-" ? context.OpenStdout() : File.Create(dst);
        var buffer = new byte[Transfer.ChunkBytes];
        ulong offset = 0;
        while (true)
        {
            var n = await file.ReadAsync(offset, buffer);
            if (n == 0)
            {
                break;
            }

            await output.WriteAsync(buffer.AsMemory(0, n));
            offset += (ulong)n;
        }

        await output.FlushAsync();
        return 0;
    }
}

/// <summary><c>ls [-l] [PATH]</c>.</summary>
public sealed class LsCommand : ICommand
{
    public string Name => "ls";

    public string Summary => "list a directory";

    public string Usage => """
        usage: mirrorctl ls [-l] [PATH]
          -l    long format: type and mode, links, size, modification time, name
        """;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var longFormat = false;
        var operands = OptionLoop.Run(args, Name, (token, _) => token == "-l" && (longFormat = true));
        var cliPath = context.Path(operands.Count switch { 0 => "/", 1 => operands[0], _ => throw new UsageException($"ls: unexpected argument '{operands[1]}'") });
        var path = cliPath.FsPath;
        var client = await context.ClientAsync();
        var attr = await client.StatAsync(path);
        IEnumerable<(string Name, string Path)> items = attr.Kind == FileKind.Directory
            ? (await client.ReaddirAsync(path)).Where(e => e.Name is not "." and not "..").OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => (e.Name, NamespacePath.Combine(path, e.Name)))
            : [(cliPath.Display(), path)];
        foreach (var (name, itemPath) in items)
        {
            context.Out.WriteLine(longFormat ? LongLine(name, await client.StatAsync(itemPath)) : name);
        }

        return 0;
    }

    internal static string LongLine(string name, FileAttr a) =>
        string.Create(CultureInfo.InvariantCulture, $"{ModeString(a)} {a.Nlink,3} {a.Uid,5} {a.Gid,5} {a.Size,12} {a.Mtime.UtcDateTime:yyyy-MM-dd HH:mm} {name}{(a.Kind == FileKind.Symlink ? " -> " + a.SymlinkTarget : "")}");

    internal static string ModeString(FileAttr a)
    {
        var chars = new char[10];
        chars[0] = a.Kind switch { FileKind.Directory => 'd', FileKind.Symlink => 'l', _ => '-' };
        const string rwx = "rwxrwxrwx";
        for (var i = 0; i < 9; i++)
        {
            chars[i + 1] = (a.Mode & (1u << (8 - i))) != 0 ? rwx[i] : '-';
        }

        return new string(chars);
    }
}

/// <summary><c>mkdir [-p] PATH</c>.</summary>
public sealed class MkdirCommand : ICommand
{
    public string Name => "mkdir";

    public string Summary => "make a directory";

    public string Usage => "usage: mirrorctl mkdir [-p] PATH\n  -p    make missing parents, no error if it exists\n";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parents = false;
        var operands = OptionLoop.Run(args, Name, (token, _) => token == "-p" && (parents = true));
        var path = context.FsPath(OptionLoop.One(operands, Name, "PATH"));
        var client = await context.ClientAsync();
        if (!parents)
        {
            await client.MkdirAsync(path);
            return 0;
        }

        var current = "";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current += "/" + part;
            try
            {
                await client.MkdirAsync(current);
            }
            catch (MirrorException e) when (e.Errno == Errno.EEXIST)
            {
                if ((await client.StatAsync(current)).Kind != FileKind.Directory)
                {
                    throw;
                }
            }
        }

        return 0;
    }
}

/// <summary><c>rm PATH...</c>: removes files, symlinks and empty directories.</summary>
public sealed class RmCommand : ICommand
{
    public string Name => "rm";

    public string Summary => "remove files, symlinks or empty directories";

    public string Usage => "usage: mirrorctl rm PATH...\n";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var operands = OptionLoop.AtLeastOne(OptionLoop.Run(args, Name, (_, _) => false), Name, "PATH");
        var client = await context.ClientAsync();
        foreach (var operand in operands)
        {
            var path = context.FsPath(operand);
            var attr = await client.StatAsync(path);
            if (attr.Kind == FileKind.Directory)
            {
                await client.RmdirAsync(path);
            }
            else
            {
                await client.UnlinkAsync(path);
            }
        }

        return 0;
    }
}

/// <summary><c>stat PATH</c>: the MDS attributes of a path.</summary>
public sealed class StatCommand : ICommand
{
    public string Name => "stat";

    public string Summary => "show the attributes of a path";

    public string Usage => "usage: mirrorctl stat PATH\n";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var cliPath = context.Path(OptionLoop.One(OptionLoop.Run(args, Name, (_, _) => false), Name, "PATH"));
        var path = cliPath.FsPath;
        var client = await context.ClientAsync();
        var a = await client.StatAsync(path);
        var o = context.Out;
        o.WriteLine($"  path: {cliPath.Display()}");
        o.WriteLine($"   fid: {a.Fid}");
        o.WriteLine($"  type: {a.Kind.ToString().ToLowerInvariant()}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  size: {a.Size}"));
        o.WriteLine($"  mode: {Convert.ToString(a.Mode, 8).PadLeft(4, '0')} ({LsCommand.ModeString(a)})");
        o.WriteLine($" links: {a.Nlink}  uid: {a.Uid}  gid: {a.Gid}");
        o.WriteLine($" mtime: {a.Mtime.UtcDateTime:yyyy-MM-dd HH:mm:ss.fffffff} UTC");
        o.WriteLine($" ctime: {a.Ctime.UtcDateTime:yyyy-MM-dd HH:mm:ss.fffffff} UTC");
        o.WriteLine($"layout_gen: {a.LayoutGeneration}  data_version: {a.DataVersion}");
        if (a.Kind == FileKind.Symlink)
        {
            o.WriteLine($"target: {a.SymlinkTarget}");
        }

        return 0;
    }
}
