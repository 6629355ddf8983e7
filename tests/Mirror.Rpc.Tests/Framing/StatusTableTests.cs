using System.Net;
using Mirror.Rpc.Framing;

namespace Mirror.Rpc.Tests.Framing;

/// <summary>grpc/doc/http-grpc-status-mapping.md and PROTOCOL-HTTP2 "Errors".</summary>
public sealed class StatusTableTests
{
    [Theory]
    [InlineData(400, StatusCode.Internal)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(403, StatusCode.PermissionDenied)]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(429, StatusCode.Unavailable)]
    [InlineData(502, StatusCode.Unavailable)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(504, StatusCode.Unavailable)]
    [InlineData(415, StatusCode.Unknown)]
    [InlineData(500, StatusCode.Unknown)]
    public void Http_status_maps_per_the_spec(int http, StatusCode status) => Assert.Equal(status, GrpcProtocol.StatusForHttp((HttpStatusCode)http));

    [Theory]
    [InlineData(0x0, StatusCode.Internal)]
    [InlineData(0x2, StatusCode.Internal)]
    [InlineData(0x7, StatusCode.Unavailable)]
    [InlineData(0x8, StatusCode.Cancelled)]
    [InlineData(0xB, StatusCode.ResourceExhausted)]
    [InlineData(0xC, StatusCode.PermissionDenied)]
    public void Http2_error_codes_map_per_the_spec(long error, StatusCode status) => Assert.Equal(status, GrpcProtocol.StatusForHttp2Error(error));

    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("application/grpc;charset=utf-8", true)]
    [InlineData("application/grpcx", false)]
    [InlineData("application/json", false)]
    [InlineData(null, false)]
    public void Content_type_check(string? contentType, bool grpc) => Assert.Equal(grpc, GrpcProtocol.IsGrpcContentType(contentType));
}
