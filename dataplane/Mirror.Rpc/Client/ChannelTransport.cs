using System.Net;
using System.Net.Sockets;

namespace Mirror.Rpc.Client;

/// <summary>
/// The SocketsHttpHandler behind a channel: HTTP/2 with prior knowledge (cleartext), several
/// connections once one is full of streams, windows big enough for multi-MiB messages, and a short
/// connect timeout so that a dead peer fails fast (a killed OST must show up as UNAVAILABLE at once).
/// </summary>
internal static class ChannelTransport
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);

    private const int StreamWindowBytes = 8 * 1024 * 1024;

    public static SocketsHttpHandler CreateHandler(string? unixSocketPath)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            InitialHttp2StreamWindowSize = StreamWindowBytes,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = ConnectTimeout,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
        };
        if (unixSocketPath is not null)
        {
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(unixSocketPath), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        return handler;
    }
}
