using Mirror.Cli.Commands;
using Mirror.Cli.Parsing;
using Mirror.Protocol.Mds;

namespace Mirror.Cli.Tests;

/// <summary>Parsing and help of `mirror read` and `changelog` (no cluster).</summary>
public class MirrorReadChangelogParsingTests
{
    [Theory]
    [InlineData("--mirror-id 2 /f", 2, "-", "/f")]
    [InlineData("--mirror-id=3 -o out.bin /f", 3, "out.bin", "/f")]
    [InlineData("-N 4 --outfile - /d/f", 4, "-", "/d/f")]
    [InlineData("/f -o x --mirror-id 1", 1, "x", "/f")]
    public void MirrorRead_Parses(string line, int id, string output, string file)
    {
        var parsed = MirrorReadCommand.Parse(line.Split(' '));
        Assert.Equal(new MirrorReadArgs((ushort)id, output, file), parsed);
    }

    [Theory]
    [InlineData("/f", "mirror read: --mirror-id ID is required")]
    [InlineData("--mirror-id 1", "mirror read: missing FILE")]
    [InlineData("--mirror-id 1 /f /g", "mirror read: unexpected argument '/g' (one FILE expected)")]
    [InlineData("--mirror-id x /f", "--mirror-id: 'x' is not a mirror id (a number from 1)")]
    [InlineData("--mirror-id 1 -o", "-o: missing value")]
    [InlineData("--mirror-id 1 --force /f", "--force: unknown option for mirror read (see mirrorctl mirror read --help)")]
    public void MirrorRead_RejectsBadLines(string line, string message) =>
        Assert.Equal(message, Assert.Throws<UsageException>(() => MirrorReadCommand.Parse(line.Split(' '))).Message);

    [Fact]
    public async Task MirrorRead_Help_DescribesTheOptionsAndTheStaleWarning()
    {
        var stdout = new StringWriter();
        var exit = await CommandTable.RunAsync(["mirror", "read", "--help"], stdout, new StringWriter(), _ => throw new InvalidOperationException("help must not connect"));
        Assert.Equal(0, exit);
        var help = stdout.ToString();
        Assert.StartsWith("usage: mirrorctl mirror read --mirror-id ID [-o OUTFILE|-] FILE", help);
        Assert.Contains("STALE mirror is read as it is, with a warning", help);
        Assert.Contains("unknown mirror id exits 1", help);
    }

    [Theory]
    [InlineData("", 0ul, null, false)]
    [InlineData("--after 5 --max 10 --json", 5ul, 10ul, true)]
    [InlineData("--after=7", 7ul, null, false)]
    public void Changelog_Parses(string line, ulong after, ulong? max, bool json) =>
        Assert.Equal(new ChangelogArgs(after, max, json), ChangelogCommand.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)));

    [Theory]
    [InlineData("--after -1", "--after: '-1' is not a record index (a number from 0)")]
    [InlineData("--max x", "--max: 'x' is not a record index (a number from 0)")]
    [InlineData("frob", "changelog: unexpected argument 'frob' (subcommands: register, clear)")]
    public void Changelog_RejectsBadLines(string line, string message) =>
        Assert.Equal(message, Assert.Throws<UsageException>(() => ChangelogCommand.Parse(line.Split(' '))).Message);

    [Fact]
    public void ChangelogRegisterAndClear_Parse()
    {
        Assert.Equal("backup", ChangelogRegisterCommand.Parse(["backup"]));
        Assert.Equal(("cl1", 42ul), ChangelogClearCommand.Parse(["cl1", "42"]));
        Assert.Equal("changelog clear: expected CONSUMER and N", Assert.Throws<UsageException>(() => ChangelogClearCommand.Parse(["cl1"])).Message);
        Assert.Equal("changelog register: missing NAME", Assert.Throws<UsageException>(() => ChangelogRegisterCommand.Parse([])).Message);
    }

    [Fact]
    public void ChangelogCommands_AreFoundByTheirWords()
    {
        Assert.IsType<ChangelogRegisterCommand>(CommandTable.Find(["changelog", "register", "x"], out var two));
        Assert.Equal(2, two);
        Assert.IsType<ChangelogClearCommand>(CommandTable.Find(["changelog", "clear"], out _));
        Assert.IsType<ChangelogCommand>(CommandTable.Find(["changelog", "--json"], out var one));
        Assert.Equal(1, one);
        Assert.IsType<MirrorReadCommand>(CommandTable.Find(["mirror", "read"], out _));
    }

    [Fact]
    public void ChangelogRecord_Text_NamesIndexTypeFidsNameAndMirrors()
    {
        var record = new ChangelogRecord
        {
            Index = 12,
            Type = ChangelogType.ClMirrorStale,
            TimeNs = 1_700_000_000_123_456_700,
            Fid = new Mirror.Protocol.FidMsg { Seq = 0x200000400, Oid = 3 },
            Parent = new Mirror.Protocol.FidMsg { Seq = 0x200000007, Oid = 1 },
            Name = "file1",
            Detail = "gen=4",
        };
        record.MirrorIds.Add([2, 3]);

        Assert.Equal("12 MIRROR_STALE 2023-11-14T22:13:20.1234567Z t=[0x200000400:0x3:0x0] p=[0x200000007:0x1:0x0] file1 mirrors=2,3 gen=4", ChangelogCommand.Text(record));
        Assert.Contains("\"type\": \"MIRROR_STALE\"", ChangelogCommand.Json([record]));
        Assert.Equal("RESYNC", ChangelogCommand.TypeName(ChangelogType.ClResync));
    }
}
