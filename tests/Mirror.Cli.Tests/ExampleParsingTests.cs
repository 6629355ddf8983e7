using Mirror.Cli.Commands;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;

namespace Mirror.Cli.Tests;

/// <summary>Every Example of flr-overview.txt (with /mnt/lustre/ replaced by /) parses to what lfs means.</summary>
public class ExampleParsingTests
{
    private const ulong Eof = LayoutComponent.EndOfFile;
    private const uint M = 1024 * 1024;

    private static string[] Split(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static ComponentSpec C(ulong end, int count = 0, uint size = 0, string pool = "") =>
        new() { End = end, StripeCount = count, StripeSize = size, Pool = pool };

    private static MirrorSpec Mirror(MirrorFlags flags, params ComponentSpec[] components)
    {
        var m = new MirrorSpec { Flags = (uint)flags };
        m.Components.AddRange(components);
        return m;
    }

    private static LayoutSpec Spec(params MirrorSpec[] mirrors)
    {
        var s = new LayoutSpec();
        s.Mirrors.AddRange(mirrors);
        return s;
    }

    [Fact]
    public void Basic_mirrored_file_two_on_flash_one_on_archive()
    {
        var parsed = MirrorCreateCommand.Parse(Split("-N 2 -S 4M -c 2 -p flash -N -c 32 -p archive /file1"));

        var flash = Mirror(MirrorFlags.None, C(Eof, 2, 4 * M, "flash"));
        Assert.Equal(Spec(flash, flash, Mirror(MirrorFlags.None, C(Eof, 32, 0, "archive"))), parsed.Layout);
        Assert.Equal(["/file1"], parsed.Files);
    }

    [Fact]
    public void Resync_after_write()
    {
        var parsed = MirrorResyncCommand.Parse(Split("/file1"));

        Assert.Null(parsed.Only);
        Assert.Equal(["/file1"], parsed.Files);
    }

    [Fact]
    public void Pfl_mirrored()
    {
        var parsed = MirrorCreateCommand.Parse(Split("-N -E 4M -p flash --flags=prefer -E eof -c 2 -N -E 16M -S 8M -c 4 -p archive -E eof -c -1 /file2"));

        Assert.Equal(
            Spec(
                // A later -E component inherits stripe size, count and pool (lfs setstripe_args_init_inherit).
                Mirror(MirrorFlags.Prefer, C(4 * M, pool: "flash"), C(Eof, 2, pool: "flash")),
                Mirror(MirrorFlags.None, C(16 * M, 4, 8 * M, "archive"), C(Eof, -1, 8 * M, "archive"))),
            parsed.Layout);
        Assert.Equal(["/file2"], parsed.Files);
    }

    [Fact]
    public void Setstripe_on_a_pool()
    {
        var parsed = SetstripeCommand.Parse(Split("-p flash /file1"));

        Assert.Equal(Spec(Mirror(MirrorFlags.None, C(Eof, pool: "flash"))), parsed.Layout);
        Assert.Equal("/file1", parsed.File);
    }

    [Fact]
    public void Extend_mirror()
    {
        var parsed = MirrorExtendCommand.Parse(Split("-N -S 8M -c -1 -p archive /file1"));

        Assert.Equal(Spec(Mirror(MirrorFlags.None, C(Eof, -1, 8 * M, "archive"))), parsed.Layout);
        Assert.Null(parsed.Victim);
        Assert.False(parsed.NoVerify);
        Assert.Equal("/file1", parsed.File);
    }

    [Fact]
    public void Extend_with_victim()
    {
        var parsed = MirrorExtendCommand.Parse(Split("--no-verify -N -f /victim_file /file1"));

        Assert.Equal("/victim_file", parsed.Victim);
        Assert.True(parsed.NoVerify);
        Assert.Null(parsed.Layout);
        Assert.Equal("/file1", parsed.File);
    }

    [Fact]
    public void Split_mirror()
    {
        Assert.Equal(new MirrorSplitArgs(1, false, null, "/file1"), MirrorSplitCommand.Parse(Split("--mirror-id 1 /file1")));
    }

    [Fact]
    public void Destroy_mirror()
    {
        Assert.Equal(new MirrorSplitArgs(2, true, null, "/file1"), MirrorSplitCommand.Parse(Split("--mirror-id 2 -d /file1")));
    }

    [Fact]
    public void Resync_only_one_mirror()
    {
        var parsed = MirrorResyncCommand.Parse(Split("--only 2 /file1"));

        Assert.Equal(new ushort[] { 2 }, parsed.Only);
        Assert.Equal(["/file1"], parsed.Files);
    }

    [Fact]
    public void Verify_two_mirrors_verbosely()
    {
        var parsed = MirrorVerifyCommand.Parse(Split("-v --only 1,4 /file2"));

        Assert.True(parsed.Verbose);
        Assert.Equal(new ushort[] { 1, 4 }, parsed.Only);
        Assert.Equal(["/file2"], parsed.Files);
    }

    [Fact]
    public void Find_mirrored_files()
    {
        var parsed = FindCommand.Parse(Split("--mirror-count +1 --type f /"));

        Assert.Equal(new FindArgs("/", new CountFilter('+', 1), null, 'f', false), parsed);
        Assert.True(parsed.MirrorCount!.Matches(2));
        Assert.False(parsed.MirrorCount.Matches(1));
    }

    [Theory]
    [InlineData("--mirror-state=^ro --type f /")]
    [InlineData("--mirror-state ^ro --type f /")]
    public void Find_not_read_only(string line)
    {
        var parsed = FindCommand.Parse(Split(line));

        Assert.Equal(new StateFilter(true, FlrState.ReadOnly), parsed.MirrorState);
        Assert.False(parsed.MirrorState!.Matches(FlrState.ReadOnly));
        Assert.True(parsed.MirrorState.Matches(FlrState.WritePending));
        Assert.Equal('f', parsed.Type);
    }
}
