using System.Net;
using Google.Protobuf;
using Mirror.Core.Errors;
using Mirror.Rpc.Tests.Proto;
using Mirror.Rpc.Tests.Support;

namespace Mirror.Rpc.Tests.Wire;

/// <summary>The server's responses, byte for byte, against grpc/doc/PROTOCOL-HTTP2.md.</summary>
public sealed class ServerWireTests
{
    private const string Token = "cluster-token";
    private static readonly Dictionary<string, string> Authorized = new() { ["authorization"] = "Bearer " + Token };

    [Fact]
    public async Task Unary_ok_is_headers_then_one_prefixed_message_then_status_trailer()
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.Echo, RawGrpcClient.Frame(EchoService.Request("hi")), headers: Authorized);

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("application/grpc", response.ContentType);
        Assert.False(response.Headers.ContainsKey("grpc-status"));
        var expected = new EchoReply { Text = "hi" }.ToByteArray();
        Assert.Equal(RawGrpcClient.Frame(expected), response.Body);
        Assert.Equal("0", response.Trailers["grpc-status"]);
        Assert.False(response.Trailers.ContainsKey("grpc-message"));
    }

    [Fact]
    public async Task Unknown_method_is_trailers_only_unimplemented()
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, "/mirror.rpc.test.Echo/Nope", RawGrpcClient.Frame(EchoService.Request()), headers: Authorized);

        AssertTrailersOnly(response, StatusCode.Unimplemented);
        Assert.Contains("/mirror.rpc.test.Echo/Nope", response.Headers["grpc-message"]);
    }

    [Fact]
    public async Task Missing_token_is_unauthenticated_and_the_handler_never_runs()
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.WaitForCancel, RawGrpcClient.Frame(EchoService.Request()));

        AssertTrailersOnly(response, StatusCode.Unauthenticated);
        Assert.Contains("missing authorization", response.Headers["grpc-message"]);
        Assert.False(server.Service.Started.Task.IsCompleted);
    }

    [Theory]
    [InlineData("Bearer wrong-token")]
    [InlineData("Bearer cluster-token-and-more")]
    [InlineData("Basic Y2x1c3Rlci10b2tlbg==")]
    public async Task Wrong_token_is_unauthenticated_and_the_handler_never_runs(string authorization)
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.WaitForCancel, RawGrpcClient.Frame(EchoService.Request()),
            headers: new Dictionary<string, string> { ["authorization"] = authorization });

        AssertTrailersOnly(response, StatusCode.Unauthenticated);
        Assert.False(server.Service.Started.Task.IsCompleted);
    }

    [Fact]
    public async Task Oversize_message_is_resource_exhausted()
    {
        await using var server = await EchoServer.StartAsync(Token, maxMessageBytes: 1000);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.Echo, RawGrpcClient.Frame(EchoService.Request(payload: new byte[1001])), headers: Authorized);

        AssertTrailersOnly(response, StatusCode.ResourceExhausted);
        Assert.Contains("exceeds the limit of 1000 bytes", response.Headers["grpc-message"]);
    }

    [Fact]
    public async Task Truncated_body_is_internal_with_a_clear_message()
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();
        var framed = RawGrpcClient.Frame(EchoService.Request("truncate me"));

        var response = await client.SendAsync(server.Address, EchoService.Echo, framed[..^3], headers: Authorized);

        AssertTrailersOnly(response, StatusCode.Internal);
        Assert.Contains("message bytes its prefix announced", response.Headers["grpc-message"]);
    }

    [Fact]
    public async Task Compressed_flag_without_grpc_encoding_is_internal()
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.Echo, RawGrpcClient.Frame(EchoService.Request().ToByteArray(), flag: 1), headers: Authorized);

        AssertTrailersOnly(response, StatusCode.Internal);
    }

    [Fact]
    public async Task Unsupported_grpc_encoding_is_unimplemented_with_accepted_encodings()
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.Echo, RawGrpcClient.Frame(EchoService.Request()),
            headers: new Dictionary<string, string>(Authorized) { ["grpc-encoding"] = "gzip" });

        AssertTrailersOnly(response, StatusCode.Unimplemented);
        Assert.Equal("identity", response.Headers["grpc-accept-encoding"]);
    }

    [Fact]
    public async Task Wrong_content_type_is_415()
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.Echo, RawGrpcClient.Frame(EchoService.Request()), contentType: "application/json", headers: Authorized);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.Status);
        Assert.False(server.Service.Started.Task.IsCompleted);
    }

    [Fact]
    public async Task Grpc_content_type_with_a_suffix_is_accepted()
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.Echo, RawGrpcClient.Frame(EchoService.Request("x")), contentType: "application/grpc+proto", headers: Authorized);

        Assert.Equal("0", response.Trailers["grpc-status"]);
    }

    [Fact]
    public async Task Malformed_grpc_timeout_is_rejected()
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.Echo, RawGrpcClient.Frame(EchoService.Request()),
            headers: new Dictionary<string, string>(Authorized) { ["grpc-timeout"] = "soon" });

        AssertTrailersOnly(response, StatusCode.Internal);
        Assert.Contains("grpc-timeout", response.Headers["grpc-message"]);
    }

    [Fact]
    public async Task Mirror_exception_sends_status_message_and_errno()
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.Fail, RawGrpcClient.Frame(EchoService.Request("gone: ü 100%", errno: Errno.ENOENT)), headers: Authorized);

        AssertTrailersOnly(response, StatusCode.NotFound);
        Assert.Equal("gone: %C3%BC 100%25", response.Headers["grpc-message"]);
        Assert.Equal("2", response.Headers["mirror-errno"]);
    }

    [Fact]
    public async Task Error_after_messages_goes_in_trailers()
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.StreamThenFail, RawGrpcClient.Frame(EchoService.Request("disk full", count: 2, errno: Errno.ENOSPC)), headers: Authorized);

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.False(response.Headers.ContainsKey("grpc-status"));
        Assert.Equal([.. RawGrpcClient.Frame(new EchoReply { Index = 0 }), .. RawGrpcClient.Frame(new EchoReply { Index = 1 })], response.Body);
        Assert.Equal("8", response.Trailers["grpc-status"]);
        Assert.Equal("disk full", response.Trailers["grpc-message"]);
        Assert.Equal("28", response.Trailers["mirror-errno"]);
    }

    [Fact]
    public async Task Unexpected_exception_is_unknown_with_its_message()
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.Crash, RawGrpcClient.Frame(EchoService.Request("boom")), headers: Authorized);

        AssertTrailersOnly(response, StatusCode.Unknown);
        Assert.Contains("boom", response.Headers["grpc-message"]);
    }

    [Fact]
    public async Task Very_long_status_message_is_cut_to_fit_header_limits()
    {
        await using var server = await EchoServer.StartAsync(Token);
        using var client = new RawGrpcClient();

        var response = await client.SendAsync(server.Address, EchoService.Crash, RawGrpcClient.Frame(EchoService.Request(new string('ü', 50_000))), headers: Authorized);

        AssertTrailersOnly(response, StatusCode.Unknown);
        Assert.InRange(response.Headers["grpc-message"].Length, 100, 8 * 1024);
    }

    /// <summary>PROTOCOL-HTTP2 Trailers-Only: status 200, content-type, grpc-status in the headers, no body, no trailers.</summary>
    private static void AssertTrailersOnly(RawResponse response, StatusCode status)
    {
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("application/grpc", response.ContentType);
        Assert.Equal(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers["grpc-status"]);
        Assert.Empty(response.Body);
        Assert.Empty(response.Trailers);
    }
}
