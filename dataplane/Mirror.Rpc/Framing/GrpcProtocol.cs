using System.Net;

namespace Mirror.Rpc.Framing;

/// <summary>Header names and values of the gRPC HTTP/2 mapping (grpc/doc/PROTOCOL-HTTP2.md).</summary>
public static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string IdentityEncoding = "identity";

    /// <summary>
    /// "application/grpc" optionally followed by "+proto", "+json"... or ";params" (spec: Content-Type).
    /// </summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';';
    }

    /// <summary>
    /// The status a client reports when a response is not a gRPC one (PROTOCOL-HTTP2 and
    /// grpc/doc/http-grpc-status-mapping.md).
    /// </summary>
    public static StatusCode StatusForHttp(HttpStatusCode status) => (int)status switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    /// <summary>The status for an RST_STREAM / GOAWAY error code (PROTOCOL-HTTP2 "Errors").</summary>
    public static StatusCode StatusForHttp2Error(long errorCode) => errorCode switch
    {
        0x7 => StatusCode.Unavailable,         // REFUSED_STREAM: not processed, safe to retry
        0x8 => StatusCode.Cancelled,           // CANCEL
        0xB => StatusCode.ResourceExhausted,   // ENHANCE_YOUR_CALM
        0xC => StatusCode.PermissionDenied,    // INADEQUATE_SECURITY
        _ => StatusCode.Internal,
    };
}
