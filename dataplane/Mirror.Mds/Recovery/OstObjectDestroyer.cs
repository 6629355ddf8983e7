using System.Collections.Concurrent;
using Mirror.Core.Errors;
using Mirror.Mds.Layouts;
using Mirror.Protocol.Ost;
using Mirror.Rpc;

namespace Mirror.Mds.Recovery;

/// <summary>The production <see cref="DestroyObject"/>: OstMethods.Destroy through one <see cref="RpcChannel"/> per OST.</summary>
public sealed class OstObjectDestroyer(string? token) : IDisposable
{
    private readonly ConcurrentDictionary<string, RpcChannel> channels = new(StringComparer.Ordinal);

    public async Task DestroyAsync(string address, OrphanObject orphan, CancellationToken cancellationToken)
    {
        var channel = channels.GetOrAdd(address, a => RpcChannel.ForAddress(a, token));
        var request = new DestroyRequest
        {
            Object = new ObjectId
            {
                Fid = LayoutConvert.ToMsg(orphan.Object.Fid),
                ComponentId = orphan.Object.ComponentId,
                StripeIndex = (uint)orphan.Stripe,
            },
        };
        try
        {
            await channel.UnaryAsync<DestroyRequest, ModifyReply>(Protocol.OstMethods.Destroy, request,
                new CallOptions(Timeout: TimeSpan.FromSeconds(10), CancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.Errno == Errno.ENOENT)
        {
            // Never written, or destroyed before a crash: either way it is gone.
        }
    }

    public void Dispose()
    {
        foreach (var channel in channels.Values)
        {
            channel.Dispose();
        }
    }
}
