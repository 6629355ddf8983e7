using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Mirror.Rpc.Bulk;

/// <summary>Whole writes on a connected stream socket and its options (both ends of the bulk channel; reads: <see cref="BulkReader"/>).</summary>
internal static class BulkSocket
{
    public static async ValueTask WriteAsync(Socket socket, ReadOnlyMemory<byte> buffer, CancellationToken ct)
    {
        while (!buffer.IsEmpty)
        {
            var n = await socket.SendAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            buffer = buffer[n..];
        }
    }

    /// <summary>
    /// <paramref name="head"/> then <paramref name="body"/> as one gather send (one sendmsg with two iovecs
    /// for array-backed memory), so the body is never copied into a frame buffer. A cancelled
    /// <paramref name="ct"/> closes the socket (the gather send takes no token; the connection is not reused).
    /// </summary>
    public static async ValueTask WriteAsync(Socket socket, ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        if (!MemoryMarshal.TryGetArray(head, out var first) || !MemoryMarshal.TryGetArray(body, out var second))
        {
            await WriteAsync(socket, head, ct).ConfigureAwait(false);
            await WriteAsync(socket, body, ct).ConfigureAwait(false);
            return;
        }

        ct.ThrowIfCancellationRequested();
        int sent;
        using (ct.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket))
        {
            sent = await socket.SendAsync(new[] { first, second }, SocketFlags.None).ConfigureAwait(false);
        }

        ct.ThrowIfCancellationRequested();
        if (sent < head.Length)
        {
            await WriteAsync(socket, head[sent..], ct).ConfigureAwait(false);
            sent = head.Length;
        }

        await WriteAsync(socket, body[(sent - head.Length)..], ct).ConfigureAwait(false);
    }

    public static void Configure(Socket socket)
    {
        if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
        {
            // Request/reply on one connection: never let Nagle hold back the last segment of a frame.
            socket.NoDelay = true;
        }

        // Room for a whole 1 MiB write in the kernel, so one send is one system call.
        socket.SendBufferSize = Math.Max(socket.SendBufferSize, 4 * 1024 * 1024);
        socket.ReceiveBufferSize = Math.Max(socket.ReceiveBufferSize, 4 * 1024 * 1024);
    }
}
