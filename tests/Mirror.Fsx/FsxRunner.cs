namespace Mirror.Fsx;

/// <summary>Outcome of a run; <see cref="Report"/> is what a person needs to replay and debug a failure.</summary>
public sealed record FsxResult(bool Passed, int Seed, int OperationsDone, string Report);

/// <summary>
/// A randomized operation checker in the spirit of fsx (Apple/LTP/xfstests): bounded random writes,
/// truncates, punched holes, reads, fsyncs and close/reopen cycles on one file, each mirrored in an
/// in-memory <see cref="FsxModel"/>. Every read is compared with the model, the size is compared after
/// every operation, and the whole file at the end; the first difference stops the run with the seed,
/// the operation number, the last operations and a hex diff. The same seed replays the same operations.
/// </summary>
public sealed class FsxRunner
{
    private readonly FsxOptions options;
    private readonly Random random;
    private readonly Queue<FsxOperation> log = new();
    private readonly FsxModel model;

    public FsxRunner(FsxOptions options)
    {
        if (options.Operations < 0 || options.MaxFileSize < 1 || options.MaxOpLength < 1)
        {
            throw new ArgumentException($"fsx: operations ({options.Operations}), max file size ({options.MaxFileSize}) and max op length ({options.MaxOpLength}) must be positive");
        }

        if (options.MaxFileSize > Array.MaxLength)
        {
            throw new ArgumentException($"fsx: max file size {options.MaxFileSize} is larger than the in-memory model can hold");
        }

        this.options = options;
        random = new Random(options.Seed);
        model = new FsxModel(options.MaxFileSize);
    }

    /// <summary>Runs on <paramref name="file"/> (freshly created, empty). I/O errors fail the run too.</summary>
    public FsxResult Run(IFsxFile file)
    {
        var done = 0;
        try
        {
            for (var n = 1; n <= options.Operations; n++)
            {
                if (Step(file, NextOperation(n)) is { } failure)
                {
                    return Fail(done, failure);
                }

                done = n;
            }

            if (CheckWholeFile(file, options.Operations + 1) is { } final)
            {
                return Fail(done, final);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(done, $"operation {done + 1} failed: {e.Message}");
        }

        return new FsxResult(true, options.Seed, done, $"fsx: seed {options.Seed}: {done} operations passed, final size 0x{model.Size:x}");
    }

    private FsxOperation NextOperation(int n)
    {
        var size = model.Size;
        var roll = random.Next(100);
        var kind = roll switch
        {
            < 35 => FsxOpKind.Write,
            < 65 => FsxOpKind.Read,
            < 77 => FsxOpKind.Truncate,
            < 89 => options.PunchHole ? FsxOpKind.PunchHole : FsxOpKind.Write,
            < 95 => FsxOpKind.Fsync,
            _ => FsxOpKind.Reopen,
        };
        switch (kind)
        {
            case FsxOpKind.Write:
                {
                    var offset = random.NextInt64(options.MaxFileSize);
                    var length = random.NextInt64(1, Math.Min(options.MaxOpLength, options.MaxFileSize - offset) + 1);
                    return new FsxOperation(n, kind, offset, length, size);
                }

            case FsxOpKind.Read or FsxOpKind.PunchHole:
                {
                    // Mostly inside the file, sometimes across or past its end (short reads, holes past EOF).
                    var limit = size > 0 && random.Next(4) > 0 ? size : options.MaxFileSize;
                    var offset = random.NextInt64(limit);
                    var length = random.NextInt64(1, Math.Min(options.MaxOpLength, options.MaxFileSize - offset) + 1);
                    return new FsxOperation(n, kind, offset, length, size);
                }

            case FsxOpKind.Truncate:
                return new FsxOperation(n, kind, 0, random.NextInt64(options.MaxFileSize + 1), size);
            default:
                return new FsxOperation(n, kind, 0, 0, size);
        }
    }

    /// <summary>Does one operation on the file and the model; returns a failure description or null.</summary>
    private string? Step(IFsxFile file, FsxOperation op)
    {
        Remember(op);
        switch (op.Kind)
        {
            case FsxOpKind.Write:
                var data = Pattern(op);
                file.Write(op.Offset, data);
                model.Write(op.Number, op.Offset, data);
                break;
            case FsxOpKind.Read:
                return CheckRead(file, op.Number, op.Offset, op.Length);
            case FsxOpKind.Truncate:
                file.Truncate(op.Length);
                model.Truncate(op.Length);
                break;
            case FsxOpKind.PunchHole:
                file.PunchHole(op.Offset, op.Length);
                model.PunchHole(op.Offset, op.Length);
                break;
            case FsxOpKind.Fsync:
                file.Fsync();
                break;
            case FsxOpKind.Reopen:
                file.Reopen();
                break;
        }

        var actual = file.Size;
        return actual == model.Size
            ? null
            : $"operation {op.Number} ({op.Kind}): file size is 0x{actual:x} ({actual}), expected 0x{model.Size:x} ({model.Size})";
    }

    private string? CheckRead(IFsxFile file, int number, long offset, long length)
    {
        var buffer = new byte[length];
        var got = file.Read(offset, buffer);
        var expectedLength = (int)Math.Clamp(model.Size - offset, 0, length);
        if (got != expectedLength)
        {
            return $"operation {number}: read 0x{offset:x}+0x{length:x} returned {got} bytes, expected {expectedLength} (size 0x{model.Size:x})";
        }

        var expected = model.Bytes(offset, expectedLength);
        var actual = buffer.AsSpan(0, got);
        var first = expected.CommonPrefixLength(actual);
        return first == expectedLength ? null : HexDiff.Describe(number, offset, expected, actual, first, model);
    }

    private string? CheckWholeFile(IFsxFile file, int number)
    {
        Remember(new FsxOperation(number, FsxOpKind.Read, 0, Math.Max(1, model.Size), model.Size));
        return model.Size == 0 ? null : CheckRead(file, number, 0, model.Size);
    }

    /// <summary>Bytes 1..251 that change with the operation and the offset, never 0 (a hole reads 0).</summary>
    private static byte[] Pattern(FsxOperation op)
    {
        var data = new byte[op.Length];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(((op.Number * 7) + op.Offset + i) % 251 + 1);
        }

        return data;
    }

    private void Remember(FsxOperation op)
    {
        log.Enqueue(op);
        while (log.Count > options.LogLength)
        {
            log.Dequeue();
        }
    }

    private FsxResult Fail(int done, string failure)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"fsx: FAILED with seed {options.Seed} (replay: {FsxOptions.SeedVariable}={options.Seed}, {options.Operations} ops, max size {options.MaxFileSize}, max op {options.MaxOpLength})");
        text.AppendLine(failure);
        text.AppendLine($"last {log.Count} operations (number kind range):");
        foreach (var op in log)
        {
            text.AppendLine(op.ToString());
        }

        return new FsxResult(false, options.Seed, done, text.ToString());
    }
}
