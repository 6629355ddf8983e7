namespace Mirror.Fsx;

public enum FsxOpKind
{
    Read,
    Write,
    Truncate,
    PunchHole,
    Fsync,
    Reopen,
}

/// <summary>One operation of a run, as the op log prints it (fsx's "N write 0x.. thru 0x.." lines).</summary>
public sealed record FsxOperation(int Number, FsxOpKind Kind, long Offset, long Length, long SizeBefore)
{
    public override string ToString() => Kind switch
    {
        FsxOpKind.Read or FsxOpKind.Write or FsxOpKind.PunchHole =>
            $"{Number,6} {Name,-8} 0x{Offset:x} thru 0x{Offset + Length - 1:x}\t(0x{Length:x} bytes, size was 0x{SizeBefore:x})",
        FsxOpKind.Truncate => $"{Number,6} {Name,-8} from 0x{SizeBefore:x} to 0x{Length:x}",
        _ => $"{Number,6} {Name}",
    };

    private string Name => Kind switch
    {
        FsxOpKind.PunchHole => "punch",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}
