using System.Text;

namespace Mirror.Fsx;

/// <summary>The failure text for a read that returned wrong bytes: where, how many, who wrote them, and a hex diff.</summary>
public static class HexDiff
{
    private const int Width = 16;
    private const int MaxLines = 8;

    public static string Describe(int number, long readOffset, ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, int first, FsxModel model)
    {
        var differing = 0;
        var last = first;
        for (var i = first; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
            {
                differing++;
                last = i;
            }
        }

        var at = readOffset + first;
        var writer = model.WriterOf(at);
        var text = new StringBuilder();
        text.AppendLine($"operation {number}: read 0x{readOffset:x}+0x{expected.Length:x}: {differing} bytes differ, first at file offset 0x{at:x}, last at 0x{readOffset + last:x}");
        text.AppendLine($"expected 0x{expected[first]:x2} there ({(writer == 0 ? "a hole or never written" : $"written by operation {writer}")}), got 0x{actual[first]:x2}");
        text.AppendLine("offset        expected                                          actual");
        var start = first / Width * Width;
        for (var line = 0; line < MaxLines && start < expected.Length; line++, start += Width)
        {
            var end = Math.Min(start + Width, expected.Length);
            var mark = expected[start..end].SequenceEqual(actual[start..end]) ? ' ' : '*';
            text.AppendLine($"{readOffset + start:x12}{mark} {Hex(expected[start..end]),-48}  {Hex(actual[start..end])}");
        }

        return text.ToString().TrimEnd();
    }

    private static string Hex(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            text.Append(b.ToString("x2")).Append(' ');
        }

        return text.ToString().TrimEnd();
    }
}
