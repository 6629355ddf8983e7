using Microsoft.Extensions.Logging;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using Mirror.Rpc;

namespace Mirror.Ost.Host;

/// <summary>
/// Registers the OST with the MDS and keeps doing so every heartbeat interval (RegisterOst is also the
/// heartbeat: the MDS marks an OST down when it stops). The MDS may be down or restarting, so failures
/// are logged and retried at the next beat, never fatal.
/// </summary>
internal sealed partial class MdsHeartbeat : IAsyncDisposable
{
    private readonly string mdsAddress;
    private readonly string? token;
    private readonly Func<RegisterOstRequest> describe;
    private readonly TimeSpan interval;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private long beats;

    public MdsHeartbeat(string mdsAddress, string? token, Func<RegisterOstRequest> describe, TimeSpan interval, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        this.mdsAddress = mdsAddress;
        this.token = token;
        this.describe = describe;
        this.interval = interval;
        this.logger = logger;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Registrations the MDS has acknowledged.</summary>
    public long Beats => Interlocked.Read(ref beats);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
        stop.Dispose();
    }

    private async Task RunAsync()
    {
        RpcChannel? channel = null;
        var failing = false;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    channel ??= RpcChannel.ForAddress(mdsAddress, token);
                    var request = describe();
                    var timeout = interval < TimeSpan.FromSeconds(5) ? TimeSpan.FromSeconds(5) : interval;
                    await channel.UnaryAsync<RegisterOstRequest, Empty>(MdsMethods.RegisterOst, request, new CallOptions(Timeout: timeout, CancellationToken: stop.Token)).ConfigureAwait(false);
                    Interlocked.Increment(ref beats);
                    if (failing || Beats == 1)
                    {
                        LogRegistered(logger, (int)request.Index, mdsAddress, request.Address);
                    }

                    failing = false;
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    if (!failing)
                    {
                        LogRegisterFailed(logger, mdsAddress, e.Message);
                    }

                    failing = true;
                }

                try
                {
                    await Task.Delay(interval, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            channel?.Dispose();
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "OST {OstIndex} registered with MDS {MdsAddress} as {Address}")]
    private static partial void LogRegistered(ILogger logger, int ostIndex, string mdsAddress, string address);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "cannot register with MDS {MdsAddress}, retrying every heartbeat: {Reason}")]
    private static partial void LogRegisterFailed(ILogger logger, string mdsAddress, string reason);
}
