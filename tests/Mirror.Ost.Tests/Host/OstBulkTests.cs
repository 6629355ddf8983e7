using Google.Protobuf;
using Mirror.Ost.Host;
using Mirror.Protocol;
using Mirror.Protocol.Ost;
using Mirror.Rpc;
using static Mirror.Ost.Tests.TestObjects;

namespace Mirror.Ost.Tests.Host;

/// <summary>OST Write/Read over the bulk data channel (Mirror.Rpc Bulk/), as clients send them.</summary>
[Collection(ServiceCollection.Name)]
public sealed class OstBulkTests : IDisposable
{
    private const string Token = "cluster-secret";
    private const int MiB = 1 << 20;
    private static readonly CallOptions Call = new(Timeout: TimeSpan.FromSeconds(30));

    private readonly TempDataDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task Bulk_writes_land_page_aligned_and_go_to_the_device_without_a_staging_copy()
    {
        await using var host = await StartAsync();
        using var bulk = await BulkAsync(host);
        var blocks = Enumerable.Range(0, 4).Select(i => Pattern(MiB, 10 + i)).ToArray();

        // Object ids of different encoded lengths move the payload's offset inside the message.
        for (var i = 0; i < blocks.Length; i++)
        {
            await bulk.UnaryAsync<WriteRequest, WriteReply>(
                OstMethods.Write,
                new WriteRequest { Object = Id(FileA, (uint)i * 1000, (uint)i), Offset = (ulong)i * MiB, Data = ByteString.CopyFrom(blocks[i]), LayoutGeneration = (uint)i + 1 },
                Call);
        }

        Assert.Equal(4L * MiB, host.Target.Store.DirectBytesWritten);
        Assert.Equal(0, host.Target.Store.StagedDirectBytes);
        for (var i = 0; i < blocks.Length; i++)
        {
            var read = await bulk.UnaryAsync<ReadRequest, ReadReply>(
                OstMethods.Read,
                new ReadRequest { Object = Id(FileA, (uint)i * 1000, (uint)i), Offset = (ulong)i * MiB, Length = MiB, LayoutGeneration = (uint)i + 1 },
                Call);
            Assert.Equal(blocks[i], read.Data.ToByteArray());
        }
    }

    [Fact]
    public async Task Small_and_large_calls_interleave_on_one_bulk_connection()
    {
        await using var host = await StartAsync();
        using var bulk = await BulkAsync(host);
        var large = Pattern(2 * MiB, 20);
        var small = Pattern(100, 21);

        await bulk.UnaryAsync<WriteRequest, WriteReply>(OstMethods.Write, new WriteRequest { Object = Id(FileB), Offset = 0, Data = ByteString.CopyFrom(large) }, Call);
        await bulk.UnaryAsync<WriteRequest, WriteReply>(OstMethods.Write, new WriteRequest { Object = Id(FileB), Offset = 5, Data = ByteString.CopyFrom(small) }, Call);
        await bulk.UnaryAsync<WriteRequest, WriteReply>(OstMethods.Write, new WriteRequest { Object = Id(FileB), Offset = 2 * MiB, Data = ByteString.CopyFrom(large) }, Call);
        var read = await bulk.UnaryAsync<ReadRequest, ReadReply>(OstMethods.Read, new ReadRequest { Object = Id(FileB), Offset = 0, Length = 4 * MiB }, Call);

        var expected = large.Concat(large).ToArray();
        small.CopyTo(expected, 5);
        Assert.Equal(expected, read.Data.ToByteArray());
        Assert.Equal(4L * MiB, host.Target.Store.DirectBytesWritten);
    }

    private Task<OstHost> StartAsync() => OstHost.StartAsync(
        new OstHostOptions
        {
            Index = 3,
            DataDir = dir.Path,
            Token = Token,
            CommitInterval = TimeSpan.FromMilliseconds(200),
            HeartbeatInterval = TimeSpan.FromMilliseconds(50),
        },
        CancellationToken.None);

    private static async Task<BulkChannel> BulkAsync(OstHost host)
    {
        using var channel = RpcChannel.ForAddress(host.Address, Token);
        var connect = await channel.UnaryAsync<ConnectRequest, ConnectReply>(OstMethods.Connect, new ConnectRequest { ClientUuid = "bulk-test" }, Call);
        Assert.NotEqual("", connect.BulkAddress);
        return BulkChannel.ForAddress(connect.BulkAddress, Token);
    }
}
