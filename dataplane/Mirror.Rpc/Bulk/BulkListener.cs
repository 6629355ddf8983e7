using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Mirror.Core.Errors;
using Mirror.Rpc.Auth;
using Mirror.Rpc.Framing;
using Mirror.Rpc.Metrics;
using Mirror.Rpc.Server;

namespace Mirror.Rpc.Bulk;

/// <summary>
/// The server end of the bulk data channel: a plain TCP listener beside Kestrel that runs the same
/// registered unary handlers as gRPC does, one call at a time per connection, with the same token check,
/// deadline and status/errno mapping (<see cref="CallOutcome"/>). What it saves is the HTTP/2 stack:
/// a request is one header, the method path and the protobuf message read straight into one pooled buffer.
/// A frame that breaks the protocol is answered with INTERNAL (or RESOURCE_EXHAUSTED) and the connection closed.
/// </summary>
internal sealed class BulkListener : IAsyncDisposable
{
    private readonly Socket listener;
    private readonly IReadOnlyDictionary<string, RpcMethod> methods;
    private readonly RpcServerOptions options;
    private readonly BearerToken? token;
    private readonly CancellationToken serverStopping;
    private readonly ILogger logger;
    private readonly CancellationTokenSource closing = new();
    private readonly HashSet<Socket> connections = [];
    private Task? acceptLoop;

    private BulkListener(Socket listener, IReadOnlyDictionary<string, RpcMethod> methods, RpcServerOptions options, CancellationToken serverStopping, ILogger logger)
    {
        this.listener = listener;
        this.methods = methods;
        this.options = options;
        this.serverStopping = serverStopping;
        this.logger = logger;
        token = string.IsNullOrEmpty(options.Token) ? null : new BearerToken(options.Token);
    }

    public IPEndPoint EndPoint => (IPEndPoint)listener.LocalEndPoint!;

    public static BulkListener Start(IPAddress address, int port, IReadOnlyDictionary<string, RpcMethod> methods, RpcServerOptions options, CancellationToken serverStopping, ILogger logger)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(128);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var bulk = new BulkListener(socket, methods, options, serverStopping, logger);
        bulk.acceptLoop = Task.Run(bulk.AcceptLoopAsync);
        return bulk;
    }

    public async ValueTask DisposeAsync()
    {
        await closing.CancelAsync().ConfigureAwait(false);
        listener.Dispose();
        lock (connections)
        {
            foreach (var c in connections)
            {
                c.Dispose();
            }
        }

        if (acceptLoop is not null)
        {
            await acceptLoop.ConfigureAwait(false);
        }

        closing.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!closing.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(closing.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (closing.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            lock (connections)
            {
                if (closing.IsCancellationRequested)
                {
                    connection.Dispose();
                    return;
                }

                connections.Add(connection);
            }

            _ = Task.Run(() => ServeConnectionAsync(connection));
        }
    }

    private async Task ServeConnectionAsync(Socket socket)
    {
        var peer = socket.RemoteEndPoint is IPEndPoint ip ? $"{ip.Address}:{ip.Port}" : "bulk";
        var reason = "closed by the peer";
        var header = new byte[BulkHeader.Length];
        var requests = new RequestBuffer();
        using var reader = new BulkReader(socket);
        try
        {
            BulkSocket.Configure(socket);
            if (!await HelloAsync(socket, reader, header).ConfigureAwait(false))
            {
                reason = "hello refused";
                return;
            }

            while (await reader.ReadExactlyAsync(header, closing.Token).ConfigureAwait(false))
            {
                var frame = BulkHeader.Read(header, options.MaxMessageBytes);
                if (frame.Kind != BulkFrameKind.Call)
                {
                    throw new BulkProtocolException(StatusCode.Internal, $"bulk frame of kind {frame.Kind} where a call was expected");
                }

                await ServeCallAsync(socket, reader, frame, peer, requests).ConfigureAwait(false);
            }
        }
        catch (BulkProtocolException e)
        {
            reason = e.Message;
            ServerLog.Rejected(logger, "bulk", e.Status, e.Message);
            await TryReplyAsync(socket, e.Status, e.Message, Errno.OK).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            reason = e.Message;
        }
        finally
        {
            lock (connections)
            {
                connections.Remove(socket);
            }

            socket.Dispose();
            ServerLog.BulkClosed(logger, peer, reason);
        }
    }

    /// <summary>The first frame must be a Hello carrying the cluster token (when the server has one).</summary>
    private async Task<bool> HelloAsync(Socket socket, BulkReader reader, byte[] header)
    {
        if (!await reader.ReadExactlyAsync(header, closing.Token).ConfigureAwait(false))
        {
            return false;
        }

        var hello = BulkHeader.Read(header, 0);
        if (hello.Kind != BulkFrameKind.Hello)
        {
            throw new BulkProtocolException(StatusCode.Internal, $"bulk connection opened with a {hello.Kind} frame instead of a hello");
        }

        var text = new byte[hello.TextLength];
        if (!await reader.ReadExactlyAsync(text, closing.Token).ConfigureAwait(false) && text.Length > 0)
        {
            return false;
        }

        if (token?.Check(BearerToken.HeaderValue(Encoding.UTF8.GetString(text))) is { } denied)
        {
            ServerLog.Rejected(logger, "bulk hello", StatusCode.Unauthenticated, denied);
            await TryReplyAsync(socket, StatusCode.Unauthenticated, denied, Errno.OK).ConfigureAwait(false);
            return false;
        }

        await ReplyAsync(socket, StatusCode.OK, null, Errno.OK, default).ConfigureAwait(false);
        return true;
    }

    private async Task ServeCallAsync(Socket socket, BulkReader reader, BulkHeader frame, string peer, RequestBuffer requests)
    {
        var started = Stopwatch.GetTimestamp();
        byte[]? response = null;
        var status = StatusCode.Unknown;
        var path = "unknown";
        try
        {
            // The method path and the first bytes of the message first: they say where a bulk payload starts,
            // so the rest of the message can be read straight into its place (RequestBuffer).
            var head = Math.Min(frame.MessageLength, RequestBuffer.PeekBytes);
            var small = requests.Small.AsMemory(0, frame.TextLength + head);
            if (!await reader.ReadExactlyAsync(small, closing.Token).ConfigureAwait(false) && small.Length > 0)
            {
                throw new IOException("the peer closed the bulk connection inside a call frame");
            }

            path = Encoding.UTF8.GetString(requests.Small, 0, frame.TextLength);
            var message = requests.Place(requests.Small.AsSpan(frame.TextLength, head), frame.MessageLength);
            if (!await reader.ReadExactlyAsync(message[head..], closing.Token).ConfigureAwait(false) && message.Length > head)
            {
                throw new IOException("the peer closed the bulk connection inside a call frame");
            }

            string? text;
            Errno errno;
            if (!methods.TryGetValue(path, out var method) || method.Kind != RpcMethodKind.Unary)
            {
                (status, text, errno) = (StatusCode.Unimplemented, method is null ? $"unknown method {path}" : $"{path} is not a unary method; the bulk channel carries unary calls only", Errno.OK);
                path = method is null ? "unknown" : path;
            }
            else
            {
                (status, text, errno, response) = await InvokeAsync(method, path, message, frame.Extra, peer).ConfigureAwait(false);
            }

            if (status != StatusCode.OK)
            {
                ServerLog.Rejected(logger, path, status, text ?? "");
            }

            await ReplyAsync(socket, status, text, errno, response).ConfigureAwait(false);
        }
        finally
        {
            requests.Done();
            RpcMetrics.ServerCall(path, status, Stopwatch.GetElapsedTime(started));
        }
    }

    private async Task<(StatusCode, string?, Errno, byte[]?)> InvokeAsync(RpcMethod method, string path, ReadOnlyMemory<byte> request, uint timeoutMs, string peer)
    {
        var timeout = timeoutMs == 0 ? (TimeSpan?)null : TimeSpan.FromMilliseconds(timeoutMs);
        using var deadline = timeout is { } t ? new CancellationTokenSource(t) : null;
        using var call = CancellationTokenSource.CreateLinkedTokenSource(closing.Token, serverStopping, deadline?.Token ?? CancellationToken.None);
        var context = new ServerCallContext(path, peer, timeout is { } d ? DateTimeOffset.UtcNow + d : null, Empty, call.Token);
        byte[]? response = null;
        (StatusCode Status, string? Message, Errno Errno) outcome;
        try
        {
            await method.Invoke(request, context, (bytes, _) =>
            {
                if (response is not null)
                {
                    throw new RpcException(StatusCode.Internal, $"{path} sent a second response message on a unary call");
                }

                response = MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
                    ? segment.Array
                    : bytes.ToArray();
                return Task.CompletedTask;
            }).ConfigureAwait(false);
            outcome = response is null ? (StatusCode.Internal, $"{path} ended without a response message", Errno.OK) : (StatusCode.OK, null, Errno.OK);
        }
        catch (Exception ex)
        {
            outcome = CallOutcome.FromException(ex, path, call.IsCancellationRequested, serverStopping.IsCancellationRequested, closing.IsCancellationRequested, logger);
            response = null;
        }

        if (deadline?.IsCancellationRequested == true && outcome.Status is StatusCode.Cancelled or StatusCode.Unknown)
        {
            outcome = (StatusCode.DeadlineExceeded, $"deadline of {timeout} exceeded serving {path}", Errno.OK);
        }

        return (outcome.Status, outcome.Message, outcome.Errno, outcome.Status == StatusCode.OK ? response : null);
    }

    private static async Task ReplyAsync(Socket socket, StatusCode status, string? message, Errno errno, ReadOnlyMemory<byte> response)
    {
        var text = status == StatusCode.OK || string.IsNullOrEmpty(message) ? [] : Encoding.UTF8.GetBytes(Truncate(message));
        var head = new byte[BulkHeader.Length + text.Length];
        new BulkHeader(BulkFrameKind.Reply, (uint)status, (uint)errno, text.Length, response.Length).Write(head);
        text.CopyTo(head.AsSpan(BulkHeader.Length));
        if (response.IsEmpty)
        {
            await BulkSocket.WriteAsync(socket, head, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        // One gather send (sendmsg) for the header and the response, no copy of the response.
        var segments = new List<ArraySegment<byte>>(2) { head, MemoryMarshal.TryGetArray(response, out var s) ? s : response.ToArray() };
        var total = head.Length + response.Length;
        var sent = await socket.SendAsync(segments, SocketFlags.None).ConfigureAwait(false);
        if (sent != total)
        {
            throw new IOException($"bulk reply: sent {sent} of {total} bytes");
        }
    }

    private static async Task TryReplyAsync(Socket socket, StatusCode status, string message, Errno errno)
    {
        try
        {
            await ReplyAsync(socket, status, message, errno, default).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The peer is gone already; the connection closes either way.
        }
    }

    private static string Truncate(string message) =>
        Encoding.UTF8.GetByteCount(message) <= BulkHeader.MaxTextBytes ? message : message[..(BulkHeader.MaxTextBytes / 4)];

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    /// <summary>
    /// Where one connection reads its requests (one call at a time per connection, so the buffer is reused
    /// call after call and the handler has let go of it when its task ends). The buffer is pinned, and a
    /// message carrying a bulk payload (a top-level bytes field of at least 64 KiB: OST Write's data) is
    /// placed so that the payload starts on a 4 KiB boundary: the OST hands such a payload to the device
    /// with O_DIRECT as it lies, without a staging copy (Lustre's bulk transfers land in whole pages).
    /// </summary>
    private sealed class RequestBuffer
    {
        /// <summary>How much of a message is read before placing it: enough for the fields ahead of the payload.</summary>
        public const int PeekBytes = 128;

        private const int Alignment = 4096;
        private const int PayloadMinBytes = 64 * 1024;

        // Bigger messages use a pooled buffer for the call only, so an idle connection never keeps more.
        private const int KeepBytes = (4 * 1024 * 1024) + (64 * 1024);

        private byte[] pinned = [];
        private byte[]? rented;

        /// <summary>The method path and the message's first bytes.</summary>
        public byte[] Small { get; } = new byte[BulkHeader.MaxTextBytes + PeekBytes];

        /// <summary>Room for a message of <paramref name="length"/> bytes starting with <paramref name="head"/> (copied in).</summary>
        public Memory<byte> Place(ReadOnlySpan<byte> head, int length)
        {
            var payloadAt = head.Length < length ? FindPayload(head) : -1;
            Memory<byte> message;
            if (length + Alignment > KeepBytes)
            {
                rented = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                message = rented.AsMemory(0, length);
            }
            else
            {
                if (pinned.Length < length + Alignment)
                {
                    pinned = GC.AllocateUninitializedArray<byte>((length + Alignment + 0xFFFF) & ~0xFFFF, pinned: true);
                }

                message = pinned.AsMemory(payloadAt < 0 ? 0 : AlignedStart(payloadAt), length);
            }

            head.CopyTo(message.Span);
            return message;
        }

        public void Done()
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
                rented = null;
            }
        }

        /// <summary>Where in the pinned buffer the message starts so that byte <paramref name="payloadAt"/> of it is 4 KiB aligned.</summary>
        private unsafe int AlignedStart(int payloadAt)
        {
            fixed (byte* p = pinned)
            {
                var misalignment = (int)(((nuint)p + (nuint)payloadAt) % Alignment);
                return (Alignment - misalignment) % Alignment;
            }
        }

        /// <summary>
        /// Offset of the first top-level length-delimited field of at least 64 KiB whose length is inside
        /// <paramref name="head"/> (<see cref="ProtobufFields"/>); -1 when none.
        /// </summary>
        private static int FindPayload(ReadOnlySpan<byte> head)
        {
            var at = 0;
            while (at < head.Length)
            {
                if (!ProtobufFields.TryReadField(head, ref at, out var field))
                {
                    return -1;
                }

                if (field.WireType == ProtobufField.LengthDelimited && field.Length >= PayloadMinBytes)
                {
                    return field.ValueAt;
                }
            }

            return -1;
        }
    }
}
