using Mirror.Core.Errors;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;

namespace Mirror.Cli.Local;

/// <summary>
/// Waits until the MDS lists the given OSTs as up (ListOsts): a ready OST listens, but placement can use
/// it only once it registered. Polls against a deadline; an MDS that is still starting is retried.
/// </summary>
internal static class OstRegistration
{
    private static readonly TimeSpan PollDelay = TimeSpan.FromMilliseconds(100);

    public static async Task WaitAsync(string mdsAddress, string token, IReadOnlyCollection<int> indexes, TimeSpan timeout)
    {
        if (indexes.Count == 0)
        {
            return;
        }

        using var channel = RpcChannel.ForAddress(mdsAddress, token);
        var deadline = DateTime.UtcNow + timeout;
        var missing = indexes.ToHashSet();
        string lastError = "";
        while (true)
        {
            try
            {
                var reply = await channel.UnaryAsync<Empty, ListOstsReply>(MdsMethods.ListOsts, new Empty(), new CallOptions(Timeout: TimeSpan.FromSeconds(5))).ConfigureAwait(false);
                missing = indexes.Where(i => !reply.Osts.Any(o => o.Index == i && o.Up)).ToHashSet();
                if (missing.Count == 0)
                {
                    return;
                }
            }
            catch (RpcException e) when (e.Status is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                lastError = $" (last error: {e.Message})";
            }

            if (DateTime.UtcNow >= deadline)
            {
                var names = string.Join(", ", missing.Order().Select(i => $"ost-{i}"));
                throw new MirrorException(Errno.ETIMEDOUT, $"{names} did not show up in the MDS at {mdsAddress} within {timeout.TotalSeconds:0}s{lastError}");
            }

            await Task.Delay(PollDelay).ConfigureAwait(false);
        }
    }
}
