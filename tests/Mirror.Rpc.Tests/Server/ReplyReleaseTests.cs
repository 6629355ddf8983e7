using System.Buffers;
using Google.Protobuf;
using Mirror.Core.Errors;
using Mirror.Rpc.Tests.Proto;
using Mirror.Rpc.Tests.Support;

namespace Mirror.Rpc.Tests.Server;

/// <summary>RpcServiceBuilder.Unary with a release hook: a reply that borrows pooled memory gets it back once serialized.</summary>
public sealed class ReplyReleaseTests
{
    [Fact]
    public async Task A_reply_over_a_pooled_buffer_arrives_whole_over_both_transports_and_is_released_once_per_call()
    {
        var payload = new byte[1024 * 1024 + 17];
        new Random(5).NextBytes(payload);
        var released = 0;
        var builder = new RpcServiceBuilder("mirror.rpc.test.Pooled").Unary<EchoRequest, EchoReply>(
            "Echo",
            (r, _) =>
            {
                var pooled = ArrayPool<byte>.Shared.Rent(payload.Length);
                payload.CopyTo(pooled, 0);
                return Task.FromResult(new EchoReply { Text = r.Text, Payload = UnsafeByteOperations.UnsafeWrap(pooled.AsMemory(0, payload.Length)) });
            },
            reply =>
            {
                Interlocked.Increment(ref released);
                // What the pool's next renter may do to the buffer: the reply on the wire must not change.
                System.Runtime.InteropServices.MemoryMarshal.TryGetArray(reply.Payload.Memory, out var segment);
                segment.AsSpan().Clear();
                ArrayPool<byte>.Shared.Return(segment.Array!);
            });
        await using var server = await RpcServer.StartAsync(new RpcServerOptions { Host = "127.0.0.1", BulkPort = 0, MetricsPort = null }, [builder]);
        using var grpc = RpcChannel.ForAddress(server.Address!, null);
        using var bulk = BulkChannel.ForAddress(server.BulkAddress!, null);

        var viaGrpc = await grpc.UnaryAsync<EchoRequest, EchoReply>("/mirror.rpc.test.Pooled/Echo", EchoService.Request("g"));
        var viaBulk = await bulk.UnaryAsync<EchoRequest, EchoReply>("/mirror.rpc.test.Pooled/Echo", EchoService.Request("b"));

        Assert.Equal(payload, viaGrpc.Payload.ToByteArray());
        Assert.Equal(payload, viaBulk.Payload.ToByteArray());
        Assert.Equal(("g", "b"), (viaGrpc.Text, viaBulk.Text));
        Assert.Equal(2, Volatile.Read(ref released));
    }

    [Fact]
    public async Task A_handler_that_fails_releases_nothing_and_its_errno_still_reaches_the_caller()
    {
        var released = 0;
        var builder = new RpcServiceBuilder("mirror.rpc.test.Pooled").Unary<EchoRequest, EchoReply>(
            "Fail",
            (_, _) => Task.FromException<EchoReply>(new MirrorException(Errno.ENOENT, "no such object")),
            _ => Interlocked.Increment(ref released));
        await using var server = await RpcServer.StartAsync(new RpcServerOptions { Host = "127.0.0.1", BulkPort = 0, MetricsPort = null }, [builder]);
        using var bulk = BulkChannel.ForAddress(server.BulkAddress!, null);

        var e = await Assert.ThrowsAsync<RpcException>(() => bulk.UnaryAsync<EchoRequest, EchoReply>("/mirror.rpc.test.Pooled/Fail", EchoService.Request("x")));

        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Equal(0, Volatile.Read(ref released));
    }
}
