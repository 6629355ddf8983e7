using Mirror.Core.Errors;
using Mirror.Rpc.Tests.Proto;
using Mirror.Rpc.Tests.Support;

namespace Mirror.Rpc.Tests.Channel;

public sealed class ServerStreamingTests
{
    [Fact]
    public async Task Streams_every_message_in_order_then_ends_ok()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);

        var indexes = new List<int>();
        await foreach (var reply in channel.ServerStreamingAsync<EchoRequest, EchoReply>(EchoService.Stream, EchoService.Request("s", count: 500)))
        {
            Assert.Equal("s", reply.Text);
            indexes.Add(reply.Index);
        }

        Assert.Equal(Enumerable.Range(0, 500), indexes);
    }

    [Fact]
    public async Task Zero_messages_is_an_empty_stream()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);

        var count = 0;
        await foreach (var unused in channel.ServerStreamingAsync<EchoRequest, EchoReply>(EchoService.Stream, EchoService.Request(count: 0)))
        {
            count++;
        }

        Assert.Equal(0, count);
    }

    [Fact]
    public async Task Multi_MiB_messages_stream_intact()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);
        var payload = new byte[4 * 1024 * 1024];
        new Random(3).NextBytes(payload);

        var total = 0L;
        await foreach (var reply in channel.ServerStreamingAsync<EchoRequest, EchoReply>(EchoService.Stream, EchoService.Request(count: 8, payload: payload)))
        {
            Assert.True(payload.AsSpan().SequenceEqual(reply.Payload.Span));
            total += reply.Payload.Length;
        }

        Assert.Equal(8L * payload.Length, total);
    }

    [Fact]
    public async Task Error_after_messages_throws_after_yielding_them()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);
        var seen = new List<int>();

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var reply in channel.ServerStreamingAsync<EchoRequest, EchoReply>(EchoService.StreamThenFail, EchoService.Request("stale", count: 3, errno: Errno.ESTALE)))
            {
                seen.Add(reply.Index);
            }
        });

        Assert.Equal([0, 1, 2], seen);
        Assert.Equal(StatusCode.Aborted, ex.Status);
        Assert.Equal(Errno.ESTALE, ex.Errno);
    }

    [Fact]
    public async Task Disposing_the_enumerator_cancels_the_call_on_the_server()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);

        await foreach (var reply in channel.ServerStreamingAsync<EchoRequest, EchoReply>(EchoService.StreamForever, EchoService.Request()))
        {
            if (reply.Index == 10)
            {
                break;
            }
        }

        var context = await Wait.For(server.Service.Cancelled);
        Assert.True(context.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Enumerator_cancellation_token_cancels_the_call()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);
        using var cancel = new CancellationTokenSource();

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var reply in channel.ServerStreamingAsync<EchoRequest, EchoReply>(EchoService.StreamForever, EchoService.Request()).WithCancellation(cancel.Token))
            {
                if (reply.Index == 5)
                {
                    await cancel.CancelAsync();
                }
            }
        });

        Assert.Equal(StatusCode.Cancelled, ex.Status);
        await Wait.For(server.Service.Cancelled);
    }

    [Fact]
    public async Task A_reader_that_stops_reading_holds_the_writer_back()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = RpcChannel.ForAddress(server.Address, null);
        var oneMiB = new byte[1024 * 1024];

        // 1000 x 1 MiB: without backpressure every write would complete at once into memory.
        await using (var stream = channel.ServerStreamingAsync<EchoRequest, EchoReply>(EchoService.StreamUntilBlocked, EchoService.Request(count: 1000, payload: oneMiB)).GetAsyncEnumerator())
        {
            Assert.True(await stream.MoveNextAsync());

            // A property that must NOT happen can only be watched for a while: give the writer two
            // seconds to run ahead. Without backpressure it would push all 1000 MiB into memory.
            var first = await Task.WhenAny(server.Service.WroteAll.Task, Task.Delay(TimeSpan.FromSeconds(2)));

            Assert.NotSame(server.Service.WroteAll.Task, first);
            // HTTP/2 windows (8 MiB stream) and pipe buffers hold a few dozen messages at most.
            Assert.InRange(server.Service.Written, 1, 100);
        }
    }
}
