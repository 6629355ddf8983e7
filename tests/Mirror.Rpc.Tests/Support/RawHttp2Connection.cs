using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Mirror.Rpc.Tests.Support;

/// <summary>
/// Just enough HTTP/2 (RFC 9113) over a TCP socket to see the server's frames as they are: which
/// frame types, with which flags, on one stream. grpc-go tells a Trailers-Only response from a normal
/// one by END_STREAM on the HEADERS frame, which HttpClient cannot show. Request headers go as HPACK
/// literals without indexing (RFC 7541 §6.2.2); response header blocks are not decoded.
/// </summary>
public sealed class RawHttp2Connection : IAsyncDisposable
{
    public const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, Ping = 0x6, GoAway = 0x7, WindowUpdate = 0x8;
    public const byte EndStream = 0x1, EndHeaders = 0x4, Ack = 0x1;

    private readonly TcpClient tcp;
    private readonly NetworkStream stream;

    private RawHttp2Connection(TcpClient tcp)
    {
        this.tcp = tcp;
        stream = tcp.GetStream();
    }

    public static async Task<RawHttp2Connection> ConnectAsync(string address)
    {
        var colon = address.LastIndexOf(':');
        var tcp = new TcpClient();
        await tcp.ConnectAsync(address[..colon], int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        var connection = new RawHttp2Connection(tcp);
        await connection.stream.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        await connection.WriteFrameAsync(Settings, 0, 0, []);
        return connection;
    }

    /// <summary>Sends a POST on <paramref name="streamId"/> with the given headers and body, ending the stream.</summary>
    public async Task SendRequestAsync(int streamId, string authority, string path, IReadOnlyList<(string Name, string Value)> headers, byte[] body)
    {
        var block = new MemoryStream();
        block.WriteByte(0x83); // :method POST (static table 3)
        block.WriteByte(0x86); // :scheme http (static table 6)
        Literal(block, ":path", path);
        Literal(block, ":authority", authority);
        foreach (var (name, value) in headers)
        {
            Literal(block, name, value);
        }

        await WriteFrameAsync(Headers, EndHeaders, streamId, block.ToArray());
        await WriteFrameAsync(Data, EndStream, streamId, body);
    }

    /// <summary>The frames of one stream up to and including the one that ends it (END_STREAM or RST_STREAM).</summary>
    public async Task<List<Frame>> ReadStreamAsync(int streamId, CancellationToken cancellationToken)
    {
        var frames = new List<Frame>();
        while (true)
        {
            var frame = await ReadFrameAsync(cancellationToken);
            if (frame.Type == Settings && (frame.Flags & Ack) == 0)
            {
                await WriteFrameAsync(Settings, Ack, 0, []);
            }
            else if (frame.Type == Ping && (frame.Flags & Ack) == 0)
            {
                await WriteFrameAsync(Ping, Ack, 0, frame.Payload);
            }

            if (frame.StreamId != streamId)
            {
                continue;
            }

            frames.Add(frame);
            if (frame.Type == RstStream || (frame.Type is Headers or Data && (frame.Flags & EndStream) != 0))
            {
                return frames;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stream.DisposeAsync();
        tcp.Dispose();
    }

    private static void Literal(MemoryStream block, string name, string value)
    {
        block.WriteByte(0x00); // literal header field without indexing, new name
        foreach (var text in new[] { name, value })
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            if (bytes.Length >= 127)
            {
                throw new ArgumentException("the test client encodes only short header strings", nameof(value));
            }

            block.WriteByte((byte)bytes.Length); // H=0: no Huffman
            block.Write(bytes);
        }
    }

    private async Task WriteFrameAsync(byte type, byte flags, int streamId, byte[] payload)
    {
        var header = new byte[9];
        header[0] = (byte)(payload.Length >> 16);
        header[1] = (byte)(payload.Length >> 8);
        header[2] = (byte)payload.Length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(5), streamId);
        await stream.WriteAsync(header);
        await stream.WriteAsync(payload);
    }

    private async Task<Frame> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var header = new byte[9];
        await stream.ReadExactlyAsync(header, cancellationToken);
        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cancellationToken);
        return new Frame(header[3], header[4], BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF, payload);
    }

    public sealed record Frame(byte Type, byte Flags, int StreamId, byte[] Payload);
}
