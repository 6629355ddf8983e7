using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Mirror.Core.Errors;
using Mirror.Rpc.Bulk;
using Mirror.Rpc.Client;
using Mirror.Rpc.Metrics;

namespace Mirror.Rpc;

/// <summary>
/// The client end of the bulk data channel (README "Bulk data channel"): unary calls to an
/// <see cref="RpcServer"/>'s <see cref="RpcServer.BulkAddress"/> without HTTP/2, for large messages (OST
/// Write/Read). Same contract as <see cref="RpcChannel.UnaryAsync"/>: every failure is an
/// <see cref="RpcException"/> with the server's status and errno, DEADLINE_EXCEEDED for a passed deadline,
/// CANCELLED for the caller's cancellation, UNAVAILABLE (ECONNREFUSED when refused) for an unreachable or
/// vanished peer. Thread-safe: each call takes an idle connection or opens one (one call at a time per
/// connection, so calls to one peer are pipelined over several connections); at most
/// <see cref="MaxCallsInFlight"/> calls run at once, later ones wait for a connection within their own
/// deadline (memory and sockets stay bounded). A connection whose call failed or was cancelled is closed, never reused.
/// </summary>
public sealed class BulkChannel : IDisposable
{
    private readonly ConcurrentQueue<BulkConnection> idle = new();
    private readonly EndPoint endPoint;
    private readonly byte[] hello;
    private readonly SemaphoreSlim window;
    private volatile bool disposed;

    private BulkChannel(string target, EndPoint endPoint, string? token, int maxCallsInFlight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCallsInFlight, 1);
        Target = target;
        MaxCallsInFlight = maxCallsInFlight;
        window = new SemaphoreSlim(maxCallsInFlight, maxCallsInFlight);
        this.endPoint = endPoint;
        var text = Encoding.UTF8.GetBytes(token ?? "");
        hello = new byte[BulkHeader.Length + text.Length];
        new BulkHeader(BulkFrameKind.Hello, 0, 0, text.Length, 0).Write(hello);
        text.CopyTo(hello, BulkHeader.Length);
    }

    /// <summary>The peer's bulk address, as given.</summary>
    public string Target { get; }

    /// <summary>Calls (and so connections) at once to this peer; more wait for one to end.</summary>
    public int MaxCallsInFlight { get; }

    /// <summary>Calls running now (holding a connection or opening one).</summary>
    public int CallsInFlight => MaxCallsInFlight - window.CurrentCount;

    /// <summary>Largest request or response message, in bytes (RESOURCE_EXHAUSTED beyond).</summary>
    public int MaxMessageBytes { get; set; } = RpcChannel.DefaultMaxMessageBytes;

    /// <param name="address">host:port (an IP address or "localhost"), as <see cref="RpcServer.BulkAddress"/> gives it.</param>
    /// <param name="token">The cluster token; null = send none.</param>
    /// <param name="maxCallsInFlight">Calls at once to this peer (each on its own connection).</param>
    public static BulkChannel ForAddress(string address, string? token, int maxCallsInFlight = DefaultMaxCallsInFlight)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        if (!IPEndPoint.TryParse(address, out var ip) || ip.Port == 0)
        {
            if (address.LastIndexOf(':') is var colon && colon > 0 && address[..colon] == "localhost" && int.TryParse(address[(colon + 1)..], out var port) && port is > 0 and < 65536)
            {
                ip = new IPEndPoint(IPAddress.Loopback, port);
            }
            else
            {
                throw new ArgumentException($"'{address}' is not an ip:port bulk address", nameof(address));
            }
        }

        return new BulkChannel(address, ip, token, maxCallsInFlight);
    }

    /// <summary>Enough for a write-behind window of 1 MiB writes per handle and a few handles at once.</summary>
    public const int DefaultMaxCallsInFlight = 16;

    public Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        UnaryAsync<TRequest, TResponse>(method, request, default, options);

    /// <summary>
    /// A unary call whose request carries <paramref name="payload"/> as one more top-level <c>bytes</c> field,
    /// sent from the caller's memory (gather write: header, method path and the small fields in one pooled
    /// buffer, the payload as a second segment of the same sendmsg), never copied into a serialized message.
    /// The server sees an ordinary message (protobuf fields may come in any order). <paramref name="request"/>
    /// must not set that field itself. The caller keeps the payload's memory unchanged until the task ends.
    /// </summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, BulkPayload payload, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        var started = Stopwatch.GetTimestamp();
        var status = StatusCode.Unknown;
        // One source for the caller's token and the deadline (one timer, one registration per call).
        using var linked = options.CancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken) : new CancellationTokenSource();
        if (options.Timeout is { } timeout)
        {
            linked.CancelAfter(Clamp(timeout));
        }
        BulkConnection? connection = null;
        var entered = false;
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var size = request.CalculateSize() + payload.WireLength;
            if (size > MaxMessageBytes)
            {
                throw new RpcException(StatusCode.ResourceExhausted, $"request message of {size} bytes for {method} exceeds the limit of {MaxMessageBytes} bytes");
            }

            await window.WaitAsync(linked.Token).ConfigureAwait(false);
            entered = true;
            connection = await TakeAsync(linked.Token).ConfigureAwait(false);
            await SendCallAsync(connection.Socket, method, request, payload, size, options.Timeout, linked.Token).ConfigureAwait(false);
            var reply = await ReadReplyAsync<TResponse>(connection.Reader, method, linked.Token).ConfigureAwait(false);
            Return(connection);
            connection = null;
            status = StatusCode.OK;
            return reply;
        }
        catch (Exception e)
        {
            var failure = Map(e, method, options, linked);
            status = failure.Status;
            throw failure;
        }
        finally
        {
            connection?.Dispose();
            if (entered)
            {
                window.Release();
            }

            RpcMetrics.ClientCall(method, status, Stopwatch.GetElapsedTime(started));
        }
    }

    public void Dispose()
    {
        disposed = true;
        while (idle.TryDequeue(out var connection))
        {
            connection.Dispose();
        }
    }

    private async Task<BulkConnection> TakeAsync(CancellationToken ct)
    {
        if (idle.TryDequeue(out var pooled))
        {
            return pooled;
        }

        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            BulkSocket.Configure(socket);
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                connect.CancelAfter(ChannelTransport.ConnectTimeout);
                await socket.ConnectAsync(endPoint, connect.Token).ConfigureAwait(false);
            }

            await BulkSocket.WriteAsync(socket, hello, ct).ConfigureAwait(false);
            var connection = new BulkConnection(socket);
            try
            {
                var header = new byte[BulkHeader.Length];
                if (!await connection.Reader.ReadExactlyAsync(header, ct).ConfigureAwait(false))
                {
                    throw new IOException($"{Target} closed the bulk connection before answering its hello");
                }

                var reply = BulkHeader.Read(header, 0);
                var text = new byte[reply.TextLength];
                await connection.Reader.ReadExactlyAsync(text, ct).ConfigureAwait(false);
                if (reply.Kind != BulkFrameKind.Reply || reply.Code != (uint)StatusCode.OK)
                {
                    throw new RpcException(ToStatus(reply.Code), $"{Target} refused the bulk connection: {Encoding.UTF8.GetString(text)}");
                }

                return connection;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Return(BulkConnection connection)
    {
        idle.Enqueue(connection);
        if (disposed && idle.TryDequeue(out var late))
        {
            late.Dispose();
        }
    }

    /// <summary>
    /// Header, method path and message in one pooled buffer (the message serialized once, straight into it);
    /// a payload follows as a second segment of one gather send, from the caller's memory.
    /// </summary>
    private static async Task SendCallAsync(Socket socket, string method, IMessage request, BulkPayload payload, int size, TimeSpan? timeout, CancellationToken ct)
    {
        if (payload.FieldNumber < 0 || (payload.FieldNumber == 0 && !payload.Data.IsEmpty))
        {
            throw new ArgumentException($"bulk payload field number {payload.FieldNumber} is not a protobuf field number", nameof(payload));
        }

        var pathLength = Encoding.UTF8.GetByteCount(method);
        var headLength = BulkHeader.Length + pathLength + size - payload.Data.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(headLength);
        try
        {
            var timeoutMs = timeout is { } t ? (uint)Math.Clamp(Math.Ceiling(t.TotalMilliseconds), 1, uint.MaxValue) : 0u;
            new BulkHeader(BulkFrameKind.Call, 0, timeoutMs, pathLength, size).Write(buffer);
            Encoding.UTF8.GetBytes(method, buffer.AsSpan(BulkHeader.Length, pathLength));
            var at = BulkHeader.Length + pathLength;
            var messageLength = size - payload.WireLength;
            request.WriteTo(buffer.AsSpan(at, messageLength));
            at += messageLength;
            if (!payload.IsEmpty)
            {
                payload.WriteKey(buffer.AsSpan(at, headLength - at));
            }

            if (payload.Data.IsEmpty)
            {
                await BulkSocket.WriteAsync(socket, buffer.AsMemory(0, headLength), ct).ConfigureAwait(false);
                return;
            }

            await BulkSocket.WriteAsync(socket, buffer.AsMemory(0, headLength), payload.Data, ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<TResponse> ReadReplyAsync<TResponse>(BulkReader reader, string method, CancellationToken ct)
        where TResponse : IMessage<TResponse>, new()
    {
        var header = new byte[BulkHeader.Length];
        if (!await reader.ReadExactlyAsync(header, ct).ConfigureAwait(false))
        {
            throw new IOException($"{Target} closed the bulk connection without answering {method}");
        }

        var reply = BulkHeader.Read(header, MaxMessageBytes);
        if (reply.Kind != BulkFrameKind.Reply)
        {
            throw new RpcException(StatusCode.Internal, $"{Target} answered {method} with a bulk {reply.Kind} frame");
        }

        var length = reply.TextLength + reply.MessageLength;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            if (!await reader.ReadExactlyAsync(buffer.AsMemory(0, length), ct).ConfigureAwait(false) && length > 0)
            {
                throw new IOException($"{Target} closed the bulk connection inside the reply to {method}");
            }

            if (reply.Code != (uint)StatusCode.OK)
            {
                var text = Encoding.UTF8.GetString(buffer, 0, reply.TextLength);
                throw new RpcException(ToStatus(reply.Code), text.Length > 0 ? text : $"{method} failed with status {reply.Code}", (Errno)reply.Extra);
            }

            return Parser<TResponse>.Instance.ParseFrom(buffer.AsSpan(reply.TextLength, reply.MessageLength));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private RpcException Map(Exception exception, string method, CallOptions options, CancellationTokenSource linked)
    {
        if (exception is RpcException rpc)
        {
            return rpc;
        }

        if (linked.IsCancellationRequested && options.Timeout is not null && !options.CancellationToken.IsCancellationRequested)
        {
            return new RpcException(StatusCode.DeadlineExceeded, $"deadline of {options.Timeout} exceeded calling {method} on {Target}");
        }

        if (linked.IsCancellationRequested)
        {
            return new RpcException(StatusCode.Cancelled, $"call {method} on {Target} was cancelled by the caller");
        }

        return exception switch
        {
            // InvalidProtocolBufferException is an IOException: it must come before the transport arm.
            InvalidProtocolBufferException => new RpcException(StatusCode.Internal, $"cannot parse the response of {method} from {Target}: {exception.Message}"),
            BulkProtocolException bad => new RpcException(StatusCode.Internal, $"{Target} sent a bad bulk frame for {method}: {bad.Message}"),
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } refused =>
                new RpcException(StatusCode.Unavailable, $"cannot reach {Target} for {method}: {refused.Message}", Errno.ECONNREFUSED),
            SocketException or IOException or ObjectDisposedException =>
                new RpcException(StatusCode.Unavailable, $"cannot reach {Target} for {method}: {exception.Message}"),
            OperationCanceledException => new RpcException(StatusCode.Unavailable,
                $"cannot reach {Target} for {method}: no connection within {ChannelTransport.ConnectTimeout.TotalSeconds:0}s"),
            _ => new RpcException(StatusCode.Unknown, $"call {method} on {Target} failed: {exception.GetType().Name}: {exception.Message}"),
        };
    }

    private static StatusCode ToStatus(uint code) => code is > 0 and <= (uint)StatusCode.Unauthenticated ? (StatusCode)code : StatusCode.Unknown;

    private static TimeSpan Clamp(TimeSpan timeout) =>
        timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout > TimeSpan.FromDays(49) ? TimeSpan.FromDays(49) : timeout;

    private static class Parser<T>
        where T : IMessage<T>, new()
    {
        public static readonly MessageParser<T> Instance = new(() => new T());
    }
}

/// <summary>A pooled bulk connection and its buffered reader (one call at a time).</summary>
internal sealed class BulkConnection(Socket socket) : IDisposable
{
    public Socket Socket { get; } = socket;

    public BulkReader Reader { get; } = new(socket);

    public void Dispose()
    {
        Socket.Dispose();
        Reader.Dispose();
    }
}
