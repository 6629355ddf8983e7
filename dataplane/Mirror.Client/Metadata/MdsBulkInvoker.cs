using Google.Protobuf;
using Mirror.Protocol;
using Mirror.Rpc;

namespace Mirror.Client.Metadata;

/// <summary>
/// The MDS seen through two channels (Mirror.Rpc README "Bulk data channel"): unary calls go over the
/// plain-TCP bulk channel the MDS names in its ConnectReply, Connect and the Callbacks stream stay on
/// gRPC. A bulk call that fails as UNAVAILABLE (the bulk address cannot be reached) drops the bulk channel
/// and is sent once over gRPC, the same policy as the OST's Write/Read (Targets/OstTarget).
/// </summary>
public sealed class MdsBulkInvoker(IRpcInvoker grpc, Func<string, IRpcInvoker> connectBulk) : IRpcInvoker
{
    private IRpcInvoker? bulk;

    public string Target => grpc.Target;

    /// <summary>The bulk channel unary calls use now, or null (gRPC only).</summary>
    public string? BulkAddress => Volatile.Read(ref bulk)?.Target;

    /// <summary>Unary calls that went over gRPC because the bulk channel was unreachable.</summary>
    public long Fallbacks => Interlocked.Read(ref fallbacks);

    private long fallbacks;

    /// <summary>Called with each ConnectReply.bulk_address, so an MDS restarted elsewhere is found again; empty = gRPC only.</summary>
    public void UseBulkAddress(string address)
    {
        if (Volatile.Read(ref bulk)?.Target == address)
        {
            return;
        }

        var next = address.Length > 0 ? connectBulk(address) : null;
        Interlocked.Exchange(ref bulk, next)?.Dispose();
    }

    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new()
    {
        var channel = method == MdsMethods.Connect ? null : Volatile.Read(ref bulk);
        if (channel is null)
        {
            return await grpc.UnaryAsync<TRequest, TResponse>(method, request, options).ConfigureAwait(false);
        }

        try
        {
            return await channel.UnaryAsync<TRequest, TResponse>(method, request, options).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.Status == StatusCode.Unavailable && !options.CancellationToken.IsCancellationRequested)
        {
            // Only UNAVAILABLE, not a deadline: a call that timed out may have run, and Create is not idempotent.
            if (Interlocked.CompareExchange(ref bulk, null, channel) == channel)
            {
                channel.Dispose();
            }

            Interlocked.Increment(ref fallbacks);
            return await grpc.UnaryAsync<TRequest, TResponse>(method, request, options).ConfigureAwait(false);
        }
    }

    public IAsyncEnumerable<TResponse> ServerStreamingAsync<TRequest, TResponse>(string method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        grpc.ServerStreamingAsync<TRequest, TResponse>(method, request, options);

    public void Dispose()
    {
        Interlocked.Exchange(ref bulk, null)?.Dispose();
        grpc.Dispose();
    }
}
