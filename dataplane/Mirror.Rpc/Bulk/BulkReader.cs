using System.Buffers;
using System.Net.Sockets;

namespace Mirror.Rpc.Bulk;

/// <summary>
/// Buffered exact reads from one bulk connection: a header read takes whatever the socket holds (up to
/// <see cref="StagingBytes"/>), so a small frame costs one recv instead of two (header, then body); a large
/// body is read straight into its destination once the staged part is copied out. Not thread-safe: one
/// reader per connection, one call at a time (README "Bulk data channel").
/// </summary>
internal sealed class BulkReader(Socket socket) : IDisposable
{
    public const int StagingBytes = 16 * 1024;

    private byte[]? staging = ArrayPool<byte>.Shared.Rent(StagingBytes);
    private int start;
    private int end;

    /// <summary>Bytes received but not yet read (0 between frames of a request/reply connection).</summary>
    public int Buffered => end - start;

    /// <summary>Fills <paramref name="buffer"/>; false when the peer closed before the first byte, IOException when it closed inside.</summary>
    public async ValueTask<bool> ReadExactlyAsync(Memory<byte> buffer, CancellationToken ct)
    {
        var stage = staging ?? throw new ObjectDisposedException(nameof(BulkReader));
        var done = Take(buffer.Span);
        while (done < buffer.Length)
        {
            int n;
            if (buffer.Length - done >= stage.Length)
            {
                n = await socket.ReceiveAsync(buffer[done..], SocketFlags.None, ct).ConfigureAwait(false);
                if (n > 0)
                {
                    done += n;
                    continue;
                }
            }
            else
            {
                n = await socket.ReceiveAsync(stage.AsMemory(), SocketFlags.None, ct).ConfigureAwait(false);
                if (n > 0)
                {
                    (start, end) = (0, n);
                    done += Take(buffer.Span[done..]);
                    continue;
                }
            }

            if (done == 0)
            {
                return false;
            }

            throw new IOException($"the peer closed the bulk connection after {done} of {buffer.Length} bytes");
        }

        return true;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref staging, null) is { } stage)
        {
            ArrayPool<byte>.Shared.Return(stage);
        }
    }

    private int Take(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, end - start);
        if (n > 0)
        {
            staging.AsSpan(start, n).CopyTo(destination);
            start += n;
        }

        return n;
    }
}
