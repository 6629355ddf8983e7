using Mirror.Cli.Commands;
using Mirror.Cli.Parsing;
using Mirror.Core.Layouts;

namespace Mirror.Cli.Tests;

public class LayoutOptionTests
{
    private static string[] Split(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Theory]
    [InlineData("-N2 /f")]
    [InlineData("-N 2 /f")]
    [InlineData("--mirror-count=2 /f")]
    [InlineData("--mirror-count 2 /f")]
    [InlineData("-N -N /f")]
    public void Mirror_count_spellings(string line)
    {
        Assert.Equal(2, MirrorCreateCommand.Parse(Split(line)).Layout.Mirrors.Count);
    }

    [Theory]
    [InlineData("4M", 4UL << 20)]
    [InlineData("4m", 4UL << 20)]
    [InlineData("64k", 64UL << 10)]
    [InlineData("64K", 64UL << 10)]
    [InlineData("1g", 1UL << 30)]
    [InlineData("131072", 131072UL)]
    public void Stripe_size_suffixes(string text, ulong bytes)
    {
        Assert.Equal(bytes, Values.StripeSize("-S", text));
    }

    [Fact]
    public void Options_before_the_first_E_apply_to_the_first_component()
    {
        var spec = SetstripeCommand.Parse(Split("-c 2 -E 4M -p flash -E eof -c 4 /f")).Layout;

        var components = spec.Mirrors.Single().Components;
        Assert.Equal(2, components[0].StripeCount);
        Assert.Equal("flash", components[0].Pool);
        Assert.Equal(4UL << 20, components[0].End);
        Assert.Equal(4, components[1].StripeCount);
        Assert.Equal("", components[1].Pool);
    }

    [Theory]
    [InlineData("--flags=prefer", MirrorFlags.Prefer)]
    [InlineData("--flags prefer", MirrorFlags.Prefer)]
    [InlineData("--flags=immediate", MirrorFlags.Immediate)]
    [InlineData("--flags prefer,nosync", MirrorFlags.Prefer | MirrorFlags.NoSync)]
    public void Flags_spellings(string flags, MirrorFlags expected)
    {
        var spec = MirrorCreateCommand.Parse(Split($"-N {flags} -N /f")).Layout;

        Assert.Equal((uint)expected, spec.Mirrors[0].Flags);
        Assert.Equal(0u, spec.Mirrors[1].Flags);
    }

    [Fact]
    public void Explicit_osts_and_long_options()
    {
        var spec = SetstripeCommand.Parse(Split("--stripe-count=2 --stripe-size 1M --pool=fast -o 3,5 /f")).Layout;

        var c = spec.Mirrors.Single().Components.Single();
        Assert.Equal(new uint[] { 3, 5 }, c.Osts);
        Assert.Equal(2, c.StripeCount);
        Assert.Equal(1u << 20, c.StripeSize);
        Assert.Equal("fast", c.Pool);
    }

    [Fact]
    public void Find_count_comparisons()
    {
        Assert.True(FindCommand.ParseCount("-3").Matches(2));
        Assert.False(FindCommand.ParseCount("-3").Matches(3));
        Assert.True(FindCommand.ParseCount("3").Matches(3));
        Assert.False(FindCommand.ParseCount("3").Matches(4));
    }

    [Fact]
    public void Global_options_are_taken_from_anywhere()
    {
        var (options, rest, tokens) = CommandTable.ExtractGlobalOptions(Split("mirror --mds 127.0.0.1:9 resync --token-file=/t --cluster /c /f"));

        Assert.Equal(new GlobalOptions("/c", "127.0.0.1:9", "/t"), options);
        Assert.Equal(["mirror", "resync", "/f"], rest);
        Assert.Equal(["--cluster", "/c"], tokens);
    }
}
