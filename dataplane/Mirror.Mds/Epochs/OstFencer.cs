using System.Collections.Concurrent;
using Mirror.Mds.Layouts;
using Mirror.Protocol.Ost;
using Mirror.Rpc;

namespace Mirror.Mds.Epochs;

/// <summary>The production <see cref="FenceObjects"/>: OstMethods.Fence through one <see cref="RpcChannel"/> per OST address.</summary>
public sealed class OstFencer(string? token) : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<string, RpcChannel> channels = new(StringComparer.Ordinal);

    public async Task FenceAsync(string address, IReadOnlyList<(ObjectRef Object, int Stripe)> objects, uint generation, CancellationToken cancellationToken)
    {
        var channel = channels.GetOrAdd(address, a => RpcChannel.ForAddress(a, token));
        var request = new FenceRequest { LayoutGeneration = generation };
        request.Objects.AddRange(objects.Select(o => new ObjectId
        {
            Fid = LayoutConvert.ToMsg(o.Object.Fid),
            ComponentId = o.Object.ComponentId,
            StripeIndex = (uint)o.Stripe,
        }));
        await channel.UnaryAsync<FenceRequest, FenceReply>(Protocol.OstMethods.Fence, request,
            new CallOptions(Timeout: CallTimeout, CancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public void Dispose()
    {
        foreach (var channel in channels.Values)
        {
            channel.Dispose();
        }
    }
}
