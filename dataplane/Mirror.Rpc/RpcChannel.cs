using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Mirror.Rpc.Auth;
using Mirror.Rpc.Client;

namespace Mirror.Rpc;

/// <summary>
/// A gRPC client connection over SocketsHttpHandler (HTTP/2 prior knowledge; TCP or a unix socket).
/// Thread-safe; one per peer, many concurrent calls multiplexed on it. Every call carries the cluster
/// token when one was given. Every failure surfaces as <see cref="RpcException"/>: a passed deadline
/// as DEADLINE_EXCEEDED, cancellation through <see cref="CallOptions.CancellationToken"/> as CANCELLED
/// (never a bare OperationCanceledException), an unreachable peer as UNAVAILABLE.
/// </summary>
public sealed class RpcChannel : IDisposable
{
    /// <summary>Largest response message accepted unless <see cref="MaxMessageBytes"/> says otherwise (matches the server default).</summary>
    public const int DefaultMaxMessageBytes = 64 * 1024 * 1024;

    private readonly ConcurrentDictionary<string, Uri> uris = new(StringComparer.Ordinal);
    private readonly Uri baseUri;

    private RpcChannel(string target, Uri baseUri, string? unixSocketPath, string? token)
    {
        Target = target;
        this.baseUri = baseUri;
        Authorization = string.IsNullOrEmpty(token) ? null : BearerToken.HeaderValue(token);
        Invoker = new HttpMessageInvoker(ChannelTransport.CreateHandler(unixSocketPath), disposeHandler: true);
    }

    /// <summary>The peer, as given ("127.0.0.1:4000" or "unix:/path").</summary>
    public string Target { get; private set; } = "";

    /// <summary>Largest request or response message, in bytes (RESOURCE_EXHAUSTED beyond); set it before the first call.</summary>
    public int MaxMessageBytes { get; set; } = DefaultMaxMessageBytes;

    internal HttpMessageInvoker Invoker { get; }

    internal string? Authorization { get; }

    /// <param name="address">host:port (also "[::1]:port", "http://host:port", or "unix:/path").</param>
    /// <param name="token">The cluster token; null = send none.</param>
    public static RpcChannel ForAddress(string address, string? token)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        if (address.StartsWith("unix:", StringComparison.Ordinal))
        {
            return ForUnixSocket(address["unix:".Length..], token);
        }

        var uriText = address.Contains("://", StringComparison.Ordinal) ? address : "http://" + address;
        if (!Uri.TryCreate(uriText, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.IsDefaultPort && !address.Contains(":80", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{address}' is not a host:port address", nameof(address));
        }

        return new RpcChannel(address, new Uri(uri.GetLeftPart(UriPartial.Authority)), null, token);
    }

    public static RpcChannel ForUnixSocket(string path, string? token)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        // The authority is not used to connect (ConnectCallback is); "localhost" is what gRPC peers expect.
        return new RpcChannel("unix:" + path, new Uri("http://localhost"), path, token);
    }

    /// <summary>A unary call. Throws <see cref="RpcException"/> for any non-OK status, including transport failures (UNAVAILABLE).</summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        using var call = new ClientCall(this, method, options);
        try
        {
            var body = await call.StartAsync(request, MaxMessageBytes).ConfigureAwait(false)
                ?? throw new RpcException(StatusCode.Internal, $"{Target} answered {method} with OK but no response message");
            var reader = new ResponseReader(body, MaxMessageBytes, Target);
            var reply = await reader.ReadAsync(Parsers<TResponse>.Parser, call.Token).ConfigureAwait(false);
            if (await reader.ReadAsync(Parsers<TResponse>.Parser, call.Token).ConfigureAwait(false) is not null)
            {
                throw new RpcException(StatusCode.Internal, $"{Target} answered the unary call {method} with more than one message");
            }

            call.Finish();
            return reply ?? throw new RpcException(StatusCode.Internal, $"{Target} answered {method} with OK but no response message");
        }
        catch (Exception ex)
        {
            throw call.Fail(ex);
        }
    }

    /// <summary>
    /// A server-streaming call; the enumeration ends at the OK trailer or throws <see cref="RpcException"/>.
    /// Disposing the enumerator early cancels the call on the server.
    /// </summary>
    public IAsyncEnumerable<TResponse> ServerStreamingAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        StreamAsync<TRequest, TResponse>(method, request, options, CancellationToken.None);

    public void Dispose() => Invoker.Dispose();

    internal Uri UriFor(string method) => uris.GetOrAdd(method, static (m, b) => new Uri(b, m), baseUri);

    private async IAsyncEnumerable<TResponse> StreamAsync<TRequest, TResponse>(
        string method, TRequest request, CallOptions options, [EnumeratorCancellation] CancellationToken enumeratorToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        using var call = new ClientCall(this, method, options, enumeratorToken);
        var body = await Guard(call, call.StartAsync(request, MaxMessageBytes)).ConfigureAwait(false);
        if (body is not null)
        {
            var reader = new ResponseReader(body, MaxMessageBytes, Target);
            while (await Guard(call, reader.ReadAsync(Parsers<TResponse>.Parser, call.Token)).ConfigureAwait(false) is { } message)
            {
                yield return message;
            }
        }

        await Guard(call, Task.Run(call.Finish)).ConfigureAwait(false);
    }

    /// <summary>An iterator cannot yield inside try/catch, so each step maps its own failure.</summary>
    private static async Task<T> Guard<T>(ClientCall call, Task<T> step)
    {
        try
        {
            return await step.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw call.Fail(ex);
        }
    }

    private static async Task Guard(ClientCall call, Task step)
    {
        try
        {
            await step.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw call.Fail(ex);
        }
    }

    private static class Parsers<T>
        where T : IMessage<T>, new()
    {
        public static readonly MessageParser<T> Parser = new(() => new T());
    }
}
