using Mirror.Client.Files;
using Mirror.Client.Metadata;
using Mirror.Client.Tests.Fakes;
using Mirror.Core.Errors;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;
using static Mirror.Client.Tests.Fakes.Layouts;

namespace Mirror.Client.Tests.Files;

/// <summary>The client side of the volume quota grant (MirrorClient.ReserveAsync, called by MirrorFile.WriteAsync).</summary>
public class QuotaGrantTests
{
    private readonly FakeOstSet osts = new();

    private async Task<(MirrorClient Client, FakeMds Mds, List<ulong> Asked)> ClientAsync(Func<ReserveSpaceRequest, ReserveSpaceReply>? reserve)
    {
        var mds = new FakeMds(Of(Plain(1, M1, 0)));
        var asked = new List<ulong>();
        if (reserve is not null)
        {
            mds.Rpc.On<ReserveSpaceRequest, ReserveSpaceReply>(MdsMethods.ReserveSpace, r =>
            {
                lock (asked)
                {
                    asked.Add(r.NewEnd);
                }

                return reserve(r);
            });
        }

        var client = await MirrorClient.CreateAsync(new MdsClient(mds.Rpc), osts);
        return (client, mds, asked);
    }

    [Fact]
    public async Task Writes_inside_the_granted_end_ask_the_mds_once()
    {
        var (client, _, asked) = await ClientAsync(r => new ReserveSpaceReply { GrantedEnd = r.NewEnd });
        await using var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, new byte[100]);
        await file.WriteAsync(0, new byte[50]);
        await file.WriteAsync(50, new byte[50]);
        await file.WriteAsync(100, new byte[1]);
        await file.FsyncAsync();
        Assert.Equal([100ul, 101ul], asked);
    }

    [Fact]
    public async Task An_unlimited_file_is_never_reserved_for_again()
    {
        var (client, _, asked) = await ClientAsync(_ => new ReserveSpaceReply { Unlimited = true });
        await using var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, new byte[10]);
        await file.WriteAsync(1 << 20, new byte[10]);
        await file.FsyncAsync();
        Assert.Equal([10ul], asked);
    }

    [Fact]
    public async Task ENOSPC_from_the_mds_fails_the_write_before_any_ost_sees_it()
    {
        var (client, mds, _) = await ClientAsync(r => r.NewEnd > 1000
            ? throw new RpcException(StatusCode.ResourceExhausted, "volume 'v' full", Errno.ENOSPC)
            : new ReserveSpaceReply { GrantedEnd = r.NewEnd });
        await using var file = await client.OpenAsync("/f");
        var e = await Assert.ThrowsAsync<MirrorException>(() => file.WriteAsync(500, new byte[501]));
        Assert.Equal(Errno.ENOSPC, e.Errno);
        Assert.Equal(0, osts[0].Writes);
        Assert.Empty(mds.Intents); // not even the FLR write intent

        await file.WriteAsync(0, new byte[1000]);
        await file.FsyncAsync();
        Assert.True(osts[0].Writes > 0);
    }

    [Fact]
    public async Task An_mds_without_ReserveSpace_means_no_quota()
    {
        var (client, mds, _) = await ClientAsync(null);
        await using var file = await client.OpenAsync("/f");
        await file.WriteAsync(0, new byte[10]);
        await file.WriteAsync(10, new byte[10]);
        await file.FsyncAsync();
        Assert.Single(mds.Rpc.Calls, c => c == MdsMethods.ReserveSpace);
    }
}
