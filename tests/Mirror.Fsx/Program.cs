using Mirror.Fsx;

// mirror-fsx: the checker as a program, for a run by hand through a mount.
const string Usage = """
    usage: mirror-fsx [-N OPS] [-l MAX_FILE_SIZE] [-o MAX_OP_LENGTH] [-S SEED] [-H] FILE
      -N OPS             number of operations (default 1000)
      -l MAX_FILE_SIZE   the file never grows past this many bytes (default 262144)
      -o MAX_OP_LENGTH   longest read/write/punch in bytes (default 65536)
      -S SEED            seed (default: $MIRROR_FSX_SEED, else random; always printed)
      -H                 no fallocate(PUNCH_HOLE) operations
    FILE is created (emptied if it exists). Exit 0 when every read matched, 1 on the first
    difference (the report names the seed, the operation and shows a hex diff), 2 on bad usage.
    """;

try
{
    int? seed = null;
    int ops = 1000;
    long maxSize = 256 * 1024;
    int maxOp = 64 * 1024;
    var punch = true;
    string? path = null;
    for (var i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "-h" or "--help": Console.Write(Usage); return 0;
            case "-N": ops = int.Parse(Value()); break;
            case "-l": maxSize = long.Parse(Value()); break;
            case "-o": maxOp = int.Parse(Value()); break;
            case "-S": seed = int.Parse(Value()); break;
            case "-H": punch = false; break;
            default:
                path = path is null && !args[i].StartsWith('-') ? args[i] : throw new ArgumentException($"unexpected argument '{args[i]}'");
                break;
        }
    }

    if (path is null)
    {
        throw new ArgumentException("FILE is required");
    }

    var options = new FsxOptions(seed ?? FsxOptions.SeedFromEnvironment(), ops, maxSize, maxOp, punch);
    Console.WriteLine($"fsx: seed {options.Seed} ({ops} ops, max size {maxSize}, max op {maxOp}{(punch ? "" : ", no punch")}) on {path}");
    using var file = PosixFile.Create(path);
    var result = new FsxRunner(options).Run(file);
    (result.Passed ? Console.Out : Console.Error).WriteLine(result.Report);
    return result.Passed ? 0 : 1;
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"mirror-fsx: {e.Message}");
    Console.Error.Write(Usage);
    return 2;
}
