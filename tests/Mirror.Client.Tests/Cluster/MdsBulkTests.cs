using Google.Protobuf;
using Mirror.Client.Metadata;
using Mirror.Client.Targets;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Protocol;
using Mirror.Rpc;
using Xunit;

namespace Mirror.Client.Tests.Cluster;

/// <summary>MdsClient's unary calls over the MDS bulk channel (Metadata/MdsBulkInvoker) against a real MdsHost.</summary>
public sealed class MdsBulkTests
{
    [Fact]
    public async Task MetadataCallsGoOverBulkAndConnectStaysOnGrpc()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (client, grpc, bulk) = Connect(cluster, address => BulkChannelInvoker.ForAddress(address, TestCluster.Token));
        using var _ = client;
        await client.ConnectAsync("bulk-test", iwmAware: false);
        await client.MkdirAsync(Fid.Root, "d", 0x1ED);
        await client.LookupAsync(Fid.Root, "d");

        Assert.Equal(cluster.Mds.BulkAddress, ((MdsBulkInvoker)GetInvoker(client)).BulkAddress);
        Assert.Equal([MdsMethods.Connect], grpc.Methods);
        Assert.Equal([MdsMethods.Mkdir, MdsMethods.Lookup], bulk.Methods);
    }

    [Fact]
    public async Task ErrnoComesThroughTheBulkChannelUnchanged()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (client, _, bulk) = Connect(cluster, address => BulkChannelInvoker.ForAddress(address, TestCluster.Token));
        using var _c = client;
        await client.ConnectAsync("bulk-test", iwmAware: false);
        await client.MkdirAsync(Fid.Root, "d", 0x1ED);

        var missing = await Assert.ThrowsAsync<MirrorException>(() => client.LookupAsync(Fid.Root, "nope"));
        var exists = await Assert.ThrowsAsync<MirrorException>(() => client.MkdirAsync(Fid.Root, "d", 0x1ED));

        Assert.Equal(Errno.ENOENT, missing.Errno);
        Assert.Equal(Errno.EEXIST, exists.Errno);
        Assert.Equal(3, bulk.Methods.Count);
    }

    [Fact]
    public async Task UnreachableBulkAddressFallsBackToGrpc()
    {
        await using var cluster = await TestCluster.StartAsync();
        var closedPort = ClosedPort();
        var (client, grpc, _) = Connect(cluster, _ => BulkChannelInvoker.ForAddress($"127.0.0.1:{closedPort}", TestCluster.Token));
        using var _c = client;
        await client.ConnectAsync("bulk-test", iwmAware: false);

        await client.MkdirAsync(Fid.Root, "d", 0x1ED);
        var attr = await client.LookupAsync(Fid.Root, "d");

        var invoker = (MdsBulkInvoker)GetInvoker(client);
        Assert.Equal(FileKind.Directory, attr.Kind);
        Assert.Equal(1, invoker.Fallbacks);
        Assert.Null(invoker.BulkAddress);
        Assert.Equal([MdsMethods.Connect, MdsMethods.Mkdir, MdsMethods.Lookup], grpc.Methods);
    }

    [Fact]
    public async Task ReconnectAfterMdsRestartPicksUpTheNewBulkAddress()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (client, _, bulk) = Connect(cluster, address => BulkChannelInvoker.ForAddress(address, TestCluster.Token));
        using var _c = client;
        await client.ConnectAsync("bulk-test", iwmAware: false);
        var before = cluster.Mds.BulkAddress;

        await cluster.RestartMdsAsync();
        await client.ConnectAsync("bulk-test", iwmAware: false);
        await client.MkdirAsync(Fid.Root, "after", 0x1ED);

        // The restarted MDS listens on a new ephemeral bulk port (the same one only if the kernel hands it out again).
        Assert.Equal(cluster.Mds.BulkAddress, ((MdsBulkInvoker)GetInvoker(client)).BulkAddress);
        Assert.Equal(before, bulk.Targets[0]);
        Assert.Equal(cluster.Mds.BulkAddress, bulk.Targets[^1]);
        Assert.Equal([MdsMethods.Mkdir], bulk.Methods);
    }

    private static (MdsClient Client, Recording Grpc, Recording Bulk) Connect(TestCluster cluster, Func<string, IRpcInvoker> connectBulk)
    {
        var grpc = new Recording(RpcChannelInvoker.ForAddress(cluster.Mds.Address, TestCluster.Token));
        var bulk = new Recording(null);
        var invoker = new MdsBulkInvoker(grpc, address =>
        {
            bulk.Targets.Add(address);
            return bulk.Wrap(connectBulk(address));
        });
        return (new MdsClient(invoker, new MdsClientOptions { RetryDeadline = TimeSpan.FromSeconds(2) }), grpc, bulk);
    }

    private static IRpcInvoker GetInvoker(MdsClient client) => client.Invoker;

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Records the methods that went through an invoker (successful or not).</summary>
    private sealed class Recording(IRpcInvoker? inner) : IRpcInvoker
    {
        private readonly List<string> methods = [];

        public List<string> Targets { get; } = [];

        public List<string> Methods
        {
            get
            {
                lock (methods)
                {
                    return [.. methods];
                }
            }
        }

        public string Target => inner?.Target ?? "";

        public IRpcInvoker Wrap(IRpcInvoker channel) => new Counting(channel, this);

        public Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
            where TRequest : IMessage<TRequest>
            where TResponse : IMessage<TResponse>, new()
        {
            Record(method);
            return inner!.UnaryAsync<TRequest, TResponse>(method, request, options);
        }

        public void Dispose() => inner?.Dispose();

        private void Record(string method)
        {
            lock (methods)
            {
                methods.Add(method);
            }
        }

        private sealed class Counting(IRpcInvoker channel, Recording owner) : IRpcInvoker
        {
            public string Target => channel.Target;

            public Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
                where TRequest : IMessage<TRequest>
                where TResponse : IMessage<TResponse>, new()
            {
                owner.Record(method);
                return channel.UnaryAsync<TRequest, TResponse>(method, request, options);
            }

            public void Dispose() => channel.Dispose();
        }
    }
}
