using System.Buffers;
using Mirror.Rpc.Tests.Proto;
using Mirror.Rpc.Tests.Support;

namespace Mirror.Rpc.Tests.Bulk;

/// <summary>The gather write (a bytes field sent from the caller's memory) and the bound on calls in flight per peer.</summary>
public sealed class BulkPayloadTests
{
    [Fact]
    public async Task A_payload_sent_from_a_slice_of_the_callers_buffer_arrives_as_the_field_with_the_other_fields_intact()
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null);
        var buffer = new byte[3 * 1024 * 1024 + 100];
        new Random(5).NextBytes(buffer);
        var data = buffer.AsMemory(17, 3 * 1024 * 1024 + 5);

        var reply = await channel.UnaryAsync<EchoRequest, EchoReply>(
            EchoService.Echo, EchoService.Request("with payload"), new BulkPayload(EchoRequest.PayloadFieldNumber, data));

        Assert.Equal("with payload", reply.Text);
        Assert.Equal(data.ToArray(), reply.Payload.ToByteArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(16384)]
    public async Task Payload_lengths_across_varint_boundaries_round_trip(int length)
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null);
        var data = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();

        var reply = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request("n"), new BulkPayload(EchoRequest.PayloadFieldNumber, data));

        Assert.Equal(data, reply.Payload.ToByteArray());
    }

    [Fact]
    public async Task A_payload_not_backed_by_an_array_is_sent_too()
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null);
        using var owner = new NativeMemory(70_000);
        new Random(9).NextBytes(owner.Memory.Span);

        var reply = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request("native"), new BulkPayload(EchoRequest.PayloadFieldNumber, owner.Memory));

        Assert.Equal(owner.Memory.ToArray(), reply.Payload.ToByteArray());
    }

    [Fact]
    public async Task The_payload_counts_against_the_message_limit()
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null);
        channel.MaxMessageBytes = 1000;

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request(), new BulkPayload(EchoRequest.PayloadFieldNumber, new byte[2000])));

        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
    }

    [Fact]
    public async Task Many_concurrent_payload_calls_each_get_their_own_reply_and_stay_within_the_window()
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null, maxCallsInFlight: 3);
        var seen = 0;
        var payloads = Enumerable.Range(0, 24).Select(i => Enumerable.Repeat((byte)i, 100_000 + i).ToArray()).ToArray();

        var calls = payloads.Select(async (p, i) =>
        {
            var reply = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request($"call {i}"), new BulkPayload(EchoRequest.PayloadFieldNumber, p));
            InterlockedMax(ref seen, channel.CallsInFlight);
            return reply;
        }).ToArray();
        var replies = await Wait.For(Task.WhenAll(calls));

        Assert.Equal(payloads.Select((_, i) => $"call {i}"), replies.Select(r => r.Text));
        Assert.All(replies.Select((r, i) => (r, i)), x => Assert.Equal(payloads[x.i], x.r.Payload.ToByteArray()));
        Assert.InRange(seen, 0, 3);
        Assert.Equal(0, channel.CallsInFlight);
    }

    [Fact]
    public async Task A_call_beyond_the_window_waits_for_a_connection_within_its_own_deadline()
    {
        await using var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null, maxCallsInFlight: 1);
        using var cts = new CancellationTokenSource();
        var blocking = channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.WaitForCancel, EchoService.Request(), new CallOptions(CancellationToken: cts.Token));
        await Wait.For(server.Service.Started);

        var waiting = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request("late"), new CallOptions(Timeout: TimeSpan.FromMilliseconds(200))));
        await cts.CancelAsync();
        var first = await Assert.ThrowsAsync<RpcException>(() => Wait.For(blocking));
        var after = await channel.UnaryAsync<EchoRequest, EchoReply>(EchoService.Echo, EchoService.Request("after"));

        Assert.Equal(StatusCode.DeadlineExceeded, waiting.Status);
        Assert.Equal(StatusCode.Cancelled, first.Status);
        Assert.Equal("after", after.Text);
    }

    [Fact]
    public async Task A_peer_killed_with_several_payload_calls_in_flight_gives_each_caller_unavailable()
    {
        var server = await EchoServer.StartAsync(bulkPort: 0);
        using var channel = BulkChannel.ForAddress(server.Server.BulkAddress!, null, maxCallsInFlight: 4);
        var calls = Enumerable.Range(0, 6).Select(i => channel.UnaryAsync<EchoRequest, EchoReply>(
            EchoService.WaitForCancel, EchoService.Request($"call {i}"), new BulkPayload(EchoRequest.PayloadFieldNumber, new byte[256 * 1024]))).ToArray();
        await Wait.For(server.Service.Started);

        await server.DisposeAsync();

        foreach (var call in calls)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => Wait.For(call));
            Assert.Equal(StatusCode.Unavailable, ex.Status);
        }

        Assert.Equal(0, channel.CallsInFlight);
    }

    private static void InterlockedMax(ref int field, int value)
    {
        var current = Volatile.Read(ref field);
        while (value > current && Interlocked.CompareExchange(ref field, value, current) != current)
        {
            current = Volatile.Read(ref field);
        }
    }

    /// <summary>Memory outside the managed heap (no array behind it), like a MemoryManager over a mapped region.</summary>
    private sealed unsafe class NativeMemory(int length) : MemoryManager<byte>
    {
        private readonly IntPtr pointer = System.Runtime.InteropServices.Marshal.AllocHGlobal(length);

        public override Span<byte> GetSpan() => new((void*)pointer, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new((byte*)pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing) => System.Runtime.InteropServices.Marshal.FreeHGlobal(pointer);
    }
}
