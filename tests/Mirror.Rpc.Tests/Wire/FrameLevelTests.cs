using Mirror.Rpc.Tests.Proto;
using Mirror.Rpc.Tests.Support;
using static Mirror.Rpc.Tests.Support.RawHttp2Connection;

namespace Mirror.Rpc.Tests.Wire;

/// <summary>
/// The HTTP/2 frames the server sends, as a grpc-go peer sees them (PROTOCOL-HTTP2: Response →
/// (Response-Headers *Length-Prefixed-Message Trailers) / Trailers-Only).
/// </summary>
public sealed class FrameLevelTests
{
    private static readonly (string, string)[] GrpcHeaders = [("content-type", "application/grpc"), ("te", "trailers"), ("user-agent", "grpc-go/1.60.0")];

    [Fact]
    public async Task Trailers_only_error_is_a_single_headers_frame_with_end_stream()
    {
        await using var server = await EchoServer.StartAsync();
        await using var connection = await ConnectAsync(server.Address);

        await connection.SendRequestAsync(1, server.Address, "/mirror.rpc.test.Echo/Nope", GrpcHeaders, RawGrpcClient.Frame(EchoService.Request()));
        var frames = await connection.ReadStreamAsync(1, new CancellationTokenSource(Wait.Limit).Token);

        var only = Assert.Single(frames);
        Assert.Equal(Headers, only.Type);
        Assert.Equal(EndStream | EndHeaders, only.Flags & (EndStream | EndHeaders));
    }

    [Fact]
    public async Task Unary_ok_is_headers_then_data_then_trailers_ending_the_stream()
    {
        await using var server = await EchoServer.StartAsync();
        await using var connection = await ConnectAsync(server.Address);

        await connection.SendRequestAsync(1, server.Address, EchoService.Echo, [.. GrpcHeaders, ("grpc-timeout", "5S")], RawGrpcClient.Frame(EchoService.Request("frames")));
        var frames = await connection.ReadStreamAsync(1, new CancellationTokenSource(Wait.Limit).Token);

        Assert.Equal(Headers, frames[0].Type);
        Assert.Equal(0, frames[0].Flags & EndStream);
        var data = frames.Where(f => f.Type == Data).SelectMany(f => f.Payload).ToArray();
        Assert.Equal(RawGrpcClient.Frame(new EchoReply { Text = "frames" }), data);
        var last = frames[^1];
        Assert.Equal(Headers, last.Type);
        Assert.Equal(EndStream | EndHeaders, last.Flags & (EndStream | EndHeaders));
        Assert.DoesNotContain(frames, f => f.Type == RstStream);
    }

    [Fact]
    public async Task Many_streams_on_one_connection_each_end_with_trailers()
    {
        await using var server = await EchoServer.StartAsync();
        await using var connection = await ConnectAsync(server.Address);

        for (var id = 1; id <= 9; id += 2)
        {
            await connection.SendRequestAsync(id, server.Address, EchoService.Echo, GrpcHeaders, RawGrpcClient.Frame(EchoService.Request($"s{id}")));
            var frames = await connection.ReadStreamAsync(id, new CancellationTokenSource(Wait.Limit).Token);
            Assert.Equal(Headers, frames[^1].Type);
            Assert.NotEqual(0, frames[^1].Flags & EndStream);
        }
    }
}
