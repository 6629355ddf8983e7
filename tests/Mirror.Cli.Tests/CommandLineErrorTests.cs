using Mirror.Cli.Commands;

namespace Mirror.Cli.Tests;

/// <summary>Bad command lines: exit 2, one line naming the bad option or argument, and no cluster contact.</summary>
public class CommandLineErrorTests
{
    private static async Task<(int Exit, string Out, string Err)> Run(string line)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CommandTable.RunAsync(
            line.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            stdout,
            stderr,
            _ => new CliContext(stdout, stderr, () => throw new InvalidOperationException("a usage error must not reach the cluster")));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("mirror create -N -S 3k /f", "mirrorctl: -S: '3k' is not a multiple of 64 KiB")]
    [InlineData("setstripe -S 3k /f", "mirrorctl: -S: '3k' is not a multiple of 64 KiB")]
    [InlineData("mirror create -N -c abc /f", "mirrorctl: -c: 'abc' is not a stripe count (a number, -1 = all OSTs)")]
    [InlineData("mirror create -N -c 2", "mirrorctl: mirror create: missing FILE")]
    [InlineData("mirror split --mirror-id", "mirrorctl: --mirror-id: missing value")]
    [InlineData("mirror split /f", "mirrorctl: mirror split: --mirror-id ID is required")]
    [InlineData("mirror split --mirror-id x /f", "mirrorctl: --mirror-id: 'x' is not a mirror id (a number from 1)")]
    [InlineData("mirror create -N -E 4M -E 2M /f", "mirrorctl: -E: component end 2M is not greater than the previous end 4M")]
    [InlineData("mirror create -N -E 4M /f", "mirrorctl: -E: the last component of a mirror must end at eof (this one ends at 4M)")]
    [InlineData("mirror create -N -x /f", "mirrorctl: -x: unknown option for mirror create (see mirrorctl mirror create --help)")]
    [InlineData("mirror create -c 2 /f", "mirrorctl: -c: mirror create options must follow -N (e.g. -N -c 2 -p flash)")]
    [InlineData("mirror create /f", "mirrorctl: mirror create: -N is required (e.g. mirror create -N2 FILE)")]
    [InlineData("mirror create -N 17 /f", "mirrorctl: -N: '17' is not a mirror count (1 to 16)")]
    [InlineData("mirror create -N --flags=stale /f", "mirrorctl: --flags: 'stale' cannot be set by hand (allowed: prefer, immediate, nosync)")]
    [InlineData("mirror verify --only 1 /f", "mirrorctl: --only: verify compares at least two mirrors (e.g. --only 1,2)")]
    [InlineData("find / --mirror-state xx", "mirrorctl: --mirror-state: 'xx' is not a state ([^]ro, wp or sp)")]
    [InlineData("find / --type q", "mirrorctl: --type: 'q' is not a type (f, d or l)")]
    [InlineData("mirror frobnicate /f", "mirrorctl: mirror: unknown subcommand 'frobnicate' (create, extend, split, resync, verify, read)")]
    [InlineData("frobnicate", "mirrorctl: unknown command 'frobnicate' (mirrorctl --help lists the commands)")]
    [InlineData("getstripe", "mirrorctl: getstripe: missing FILE")]
    [InlineData("volume create v", "mirrorctl: volume create: --capacity SIZE is required")]
    [InlineData("volume create --capacity 1G", "mirrorctl: volume create: missing NAME")]
    [InlineData("volume create Bad_Name --capacity 1G", "mirrorctl: volume create: 'Bad_Name' is not a volume name (1-63 characters of a-z, 0-9, '.' and '-', starting with a letter or digit)")]
    [InlineData("volume create v --capacity 10X", "mirrorctl: --capacity: '10X' is not a size (a number with an optional k, m, g or t suffix)")]
    [InlineData("volume create v --capacity 0", "mirrorctl: --capacity: the capacity must be more than 0 bytes")]
    [InlineData("volume create v --capacity 1G -S 3k", "mirrorctl: -S: '3k' is not a multiple of 64 KiB")]
    [InlineData("volume create v w --capacity 1G", "mirrorctl: volume create: unexpected argument 'w' (one NAME expected)")]
    [InlineData("volume ls extra", "mirrorctl: volume ls: unexpected argument 'extra'")]
    [InlineData("volume ls --force", "mirrorctl: --force: unknown option for volume ls (see mirrorctl volume ls --help)")]
    [InlineData("volume rm", "mirrorctl: volume rm: missing NAME")]
    [InlineData("volume resize v", "mirrorctl: volume resize: --capacity SIZE is required")]
    [InlineData("volume", "mirrorctl: volume: missing subcommand (create, ls, rm, resize)")]
    [InlineData("volume grow v", "mirrorctl: volume: unknown subcommand 'grow' (create, ls, rm, resize)")]
    [InlineData("put /only-one", "mirrorctl: put: expected SRC and DST")]
    public async Task Bad_input_exits_2_with_a_message_naming_it(string line, string message)
    {
        var (exit, stdout, stderr) = await Run(line);

        Assert.Equal(2, exit);
        Assert.Equal(message + Environment.NewLine, stderr);
        Assert.Empty(stdout);
    }

    [Fact]
    public async Task No_arguments_prints_usage_and_exits_2()
    {
        var (exit, _, stderr) = await Run("");

        Assert.Equal(2, exit);
        Assert.StartsWith("usage: mirrorctl", stderr);
    }

    public static TheoryData<string> AllCommandNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in CommandTable.Commands)
        {
            data.Add(c.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllCommandNames))]
    public async Task Help_on_every_command_prints_its_usage_and_exits_0(string name)
    {
        foreach (var flag in new[] { "--help", "-h" })
        {
            var (exit, stdout, stderr) = await Run($"{name} {flag}");

            Assert.Equal(0, exit);
            Assert.StartsWith($"usage: mirrorctl {name}", stdout);
            Assert.Empty(stderr);
        }
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task Global_help_lists_every_command(string flag)
    {
        var (exit, stdout, _) = await Run(flag);

        Assert.Equal(0, exit);
        Assert.All(CommandTable.Commands, c => Assert.Contains(c.Name, stdout));
    }

    [Fact]
    public async Task Help_after_other_options_still_wins_and_changes_nothing()
    {
        var (exit, stdout, _) = await Run("mirror split --mirror-id 3 -d /f --help");

        Assert.Equal(0, exit);
        Assert.Contains("--mirror-id ID", stdout);
    }
}
