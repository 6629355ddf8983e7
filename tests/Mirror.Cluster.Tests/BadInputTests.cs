using System.Globalization;
using Mirror.Cluster.Tests.Harness;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;

namespace Mirror.Cluster.Tests;

/// <summary>One cluster with /bad/file1 (three equal mirrors) and /bad/sixteen (16 mirrors) for <see cref="BadInputTests"/>.</summary>
public sealed class BadInputCluster : IAsyncLifetime
{
    public LocalCluster Cluster { get; private set; } = null!;

    public ClusterProbe Probe { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await LocalCluster.StartAsync();
        Probe = new ClusterProbe(Cluster);
        await Probe.Ctl("mkdir", "/bad");
        await Probe.Ctl("mirror", "create", "-N", "2", "-S", "4M", "-c", "2", "-p", "flash", "-N", "-c", "32", "-p", "archive", "/bad/file1");
        await Probe.Ctl("put", Probe.LocalFile(300_000, seed: 11, out _), "/bad/file1");
        await Probe.Ctl("mirror", "resync", "/bad/file1");
        await Probe.Ctl("mirror", "create", "-N8", "-N8", "/bad/sixteen");
    }

    public async Task DisposeAsync()
    {
        Probe.Dispose();
        await Cluster.DisposeAsync();
    }
}

/// <summary>
/// Bad input through real mirrorctl processes: each is refused with a non-zero exit and one error line that
/// names the bad option, path or mirror id, and changes NOTHING: `ls -l /`, `ls -l /bad`, the layout
/// (generation included) of every file in /bad and the last changelog index are the same before and after.
/// </summary>
public sealed class BadInputTests(BadInputCluster fixture) : IClassFixture<BadInputCluster>
{
    private const int Failed = 1;
    private const int Usage = 2;

    private ClusterProbe Probe => fixture.Probe;

    [Fact]
    public Task UnknownMirrorId_IsNamed() => AssertAllRefused(
        ("mirror split --mirror-id 9 /bad/file1", Failed, "mirrorctl: mirror split: unknown mirror id 9 in /bad/file1"),
        ("mirror split --mirror-id 9 -d /bad/file1", Failed, "mirrorctl: mirror split: unknown mirror id 9 in /bad/file1"),
        ("mirror resync --only 2,9 /bad/file1", Failed, "mirrorctl: mirror resync: unknown mirror id 9 in /bad/file1"),
        ("mirror verify --only 1,9 /bad/file1", Failed, "mirrorctl: mirror verify: unknown mirror id 9 in /bad/file1"),
        ("mirror read --mirror-id 9 -o - /bad/file1", Failed, "mirrorctl: mirror read: unknown mirror id 9 in /bad/file1"),
        ("getstripe --mirror-id 9 /bad/file1", Failed, "mirrorctl: getstripe: unknown mirror id 9 in /bad/file1"));

    [Fact]
    public Task OverlappingExtents_AreRefused() => AssertAllRefused(
        ("mirror create -N -E 8M -c 1 -E 4M -c 2 -E eof /bad/new", Usage, "mirrorctl: -E: component end 4M is not greater than the previous end 8M"),
        ("setstripe -E 8M -E 4M -E eof /bad/new", Usage, "mirrorctl: -E: component end 4M is not greater than the previous end 8M"),
        ("mirror extend -N -E 8M -E 4M -E eof /bad/file1", Usage, "mirrorctl: -E: component end 4M is not greater than the previous end 8M"));

    [Fact]
    public Task MoreThan16Mirrors_AreRefused() => AssertAllRefused(
        ("mirror create -N17 /bad/new", Usage, "mirrorctl: -N: '17' is not a mirror count (1 to 16)"),
        ("mirror create -N8 -N9 /bad/new", Usage, "mirrorctl: -N: 17 mirrors asked for, a file has at most 16"),
        ("mirror extend -N /bad/sixteen", Failed, "mirrorctl: /bad/sixteen: a file has at most 16 mirrors"),
        ("mirror extend --no-verify -N -f /bad/file1 /bad/sixteen", Failed, "mirrorctl: /bad/sixteen: a file has at most 16 mirrors"));

    [Fact]
    public Task MissingFile_IsNamed() => AssertAllRefused(
        ("getstripe /bad/nope", Failed, "mirrorctl: /bad/nope: No such file or directory"),
        ("mirror resync /bad/nope", Failed, "mirrorctl: /bad/nope: No such file or directory"),
        ("mirror verify /bad/nope", Failed, "mirrorctl: /bad/nope: No such file or directory"),
        ("mirror split --mirror-id 1 /bad/nope", Failed, "mirrorctl: /bad/nope: No such file or directory"),
        ("mirror extend -N -p archive /bad/nope", Failed, "mirrorctl: /bad/nope: No such file or directory"),
        ("mirror extend --no-verify -N -f /bad/nope /bad/file1", Failed, "mirrorctl: /bad/nope: No such file or directory"),
        ("mirror read --mirror-id 1 -o - /bad/nope", Failed, "mirrorctl: /bad/nope: No such file or directory"),
        ("migrate -c 2 /bad/nope", Failed, "mirrorctl: /bad/nope: No such file or directory"),
        ("mirror create -N /nodir/new", Failed, "mirrorctl: /nodir: No such file or directory"),
        ("put /nonexistent-local-file /bad/new", Failed, "mirrorctl: /nonexistent-local-file: cannot read the local file"));

    [Fact]
    public Task MalformedOptions_AreUsageErrors() => AssertAllRefused(
        ("mirror create -N -S 3k /bad/new", Usage, "mirrorctl: -S: '3k' is not a multiple of 64 KiB"),
        ("mirror extend -N -S 3k /bad/file1", Usage, "mirrorctl: -S: '3k' is not a multiple of 64 KiB"),
        ("setstripe -c abc /bad/new", Usage, "mirrorctl: -c: 'abc' is not a stripe count (a number, -1 = all OSTs)"),
        ("migrate -c abc /bad/file1", Usage, "mirrorctl: -c: 'abc' is not a stripe count (a number, -1 = all OSTs)"),
        ("mirror create -N --frobnicate /bad/new", Usage, "mirrorctl: --frobnicate: unknown option for mirror create (see mirrorctl mirror create --help)"),
        ("mirror resync --frobnicate /bad/file1", Usage, "mirrorctl: --frobnicate: unknown option for mirror resync (see mirrorctl mirror resync --help)"),
        ("mirror create -N -c 2", Usage, "mirrorctl: mirror create: missing FILE"),
        ("mirror resync", Usage, "mirrorctl: mirror resync: missing FILE"),
        ("mirror read --mirror-id 1", Usage, "mirrorctl: mirror read: missing FILE"),
        ("mirror read /bad/file1", Usage, "mirrorctl: mirror read: --mirror-id ID is required"),
        ("mirror split --mirror-id 1 -d -f /bad/x /bad/file1", Usage, "mirrorctl: -f: cannot be combined with -d (a destroyed mirror has no new file)"),
        ("changelog --after x", Usage, "mirrorctl: --after: 'x' is not a record index (a number from 0)"),
        ("changelog clear cl1", Usage, "mirrorctl: changelog clear: expected CONSUMER and N"));

    [Fact]
    public async Task MdsCallsWithoutTheToken_AreUnauthenticated_AndChangeNothing()
    {
        var before = await Snapshot();
        var root = ParseFid((await Probe.Ctl("stat", "/")).Stdout);
        foreach (var token in new string?[] { null, "not-the-cluster-token" })
        {
            using var channel = RpcChannel.ForAddress(fixture.Cluster.MdsAddress, token);
            var options = new CallOptions(Timeout: TimeSpan.FromSeconds(10));
            var read = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<ChangelogReadRequest, ChangelogReadReply>(
                MdsMethods.ChangelogRead, new ChangelogReadRequest { MaxRecords = 10 }, options));
            Assert.Equal(StatusCode.Unauthenticated, read.Status);
            var mkdir = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<CreateRequest, CreateReply>(
                MdsMethods.Mkdir, new CreateRequest { Parent = root, Name = "intruder", Mode = 0x1ED }, options));
            Assert.Equal(StatusCode.Unauthenticated, mkdir.Status);
        }

        Assert.Equal(before, await Snapshot());
        Assert.DoesNotContain("intruder", (await Probe.Ctl("ls", "/")).Stdout);
    }

    [Theory]
    [InlineData("/dev/null", "ls /", "mirrorctl: ls: token file /dev/null is empty")]
    [InlineData("/dev/null", "mkdir /bad/intruder", "mirrorctl: mkdir: token file /dev/null is empty")]
    [InlineData("WRONG", "ls /", "mirrorctl: ls: the bearer token does not match the cluster token")]
    [InlineData("WRONG", "mkdir /bad/intruder", "mirrorctl: mkdir: the bearer token does not match the cluster token")]
    public async Task MirrorctlWithoutTheToken_FailsClearly(string tokenFile, string line, string message)
    {
        var wrong = Path.Combine(fixture.Cluster.Dir, "wrong-token");
        await File.WriteAllTextAsync(wrong, "not-the-cluster-token\n");
        var file = tokenFile == "WRONG" ? wrong : tokenFile;
        await AssertRefused(await Snapshot(), ["--mds", fixture.Cluster.MdsAddress, "--token-file", file, .. line.Split(' ')], Failed, message);
    }

    /// <summary>
    /// Runs each command line and checks its exit, its one error line, and that the state is still the one
    /// seen before the first (one snapshot before, one after each: the suite stays fast).
    /// </summary>
    private async Task AssertAllRefused(params (string Line, int Exit, string Message)[] cases)
    {
        var before = await Snapshot();
        foreach (var (line, exit, message) in cases)
        {
            await AssertRefused(before, line.Split(' '), exit, message);
        }
    }

    private async Task AssertRefused(string before, string[] args, int exit, string message)
    {
        var what = $"mirrorctl {string.Join(' ', args)}";
        var result = await fixture.Cluster.RunCtlAsync(args);

        Assert.True(result.Exit == exit, $"{what}: expected exit {exit}: {result}");
        var lines = ClusterProbe.Lines(result.Stderr);
        Assert.True(lines.Count == 1 && lines[0].StartsWith(message, StringComparison.Ordinal), $"{what}: expected one line starting with \"{message}\": {result}");
        Assert.True(result.Stdout.Length == 0, $"{what}: printed on stdout: {result}");
        var after = await Snapshot();
        Assert.True(before == after, $"{what} changed the cluster:\n--- before\n{before}\n--- after\n{after}");
    }

    private Task<string> Snapshot() => Probe.Snapshot("/bad", "/bad/file1", "/bad/sixteen");

    /// <summary>The fid in `stat` output ("fid: [0xSEQ:0xOID:0xVER]").</summary>
    private static FidMsg ParseFid(string stat)
    {
        var text = ClusterProbe.Lines(stat).Single(l => l.StartsWith("fid:", StringComparison.Ordinal))["fid:".Length..].Trim().Trim('[', ']');
        var parts = text.Split(':').Select(p => ulong.Parse(p[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
        return new FidMsg { Seq = parts[0], Oid = (uint)parts[1], Ver = (uint)parts[2] };
    }
}
