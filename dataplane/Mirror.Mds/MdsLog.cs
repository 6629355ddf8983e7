using Microsoft.Extensions.Logging;
using Mirror.Core;

namespace Mirror.Mds;

/// <summary>The MDS's log events, with fixed event ids (1xxx store, 2xxx recovery, 3xxx layouts, 4xxx host, 5xxx IWM clients/locks/epochs).</summary>
internal static partial class MdsLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Critical, Message = "metadata commit of {Count} mutations failed; the MDS refuses further changes until restarted")]
    public static partial void CommitFailed(this ILogger logger, Exception error, int count);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "created the root directory {Fid}")]
    public static partial void RootCreated(this ILogger logger, Fid fid);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "loaded {Inodes} inodes, {Osts} OSTs, {Orphans} orphan objects, changelog at {Index}")]
    public static partial void Loaded(this ILogger logger, int inodes, int osts, int orphans, ulong index);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "volume {Volume}: stored usage {Stored} differs from its files' {Counted} bytes; using the files'")]
    public static partial void VolumeUsageRecomputed(this ILogger logger, string volume, ulong stored, ulong counted);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "destroying object {Fid}:{ComponentId}:{Stripe} on OST {Ost} failed, will retry: {Error}")]
    public static partial void DestroyFailed(this ILogger logger, Fid fid, uint componentId, int stripe, int ost, string error);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "placement of {Fid} mirror {MirrorId} component {ComponentId} shares {What} with another mirror: pool '{Pool}' has too few")]
    public static partial void PlacementShares(this ILogger logger, Fid fid, ushort mirrorId, uint componentId, string what, string pool);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "MDS serving {Address} from {DataDir}, boot {BootId}")]
    public static partial void Serving(this ILogger logger, string? address, string dataDir, string bootId);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "IWM housekeeping pass failed: {Error}")]
    public static partial void HousekeepingFailed(this ILogger logger, string error);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "evicting client {ClientId} ({Uuid}): {Reason}")]
    public static partial void Evicting(this ILogger logger, ulong clientId, string uuid, string reason);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "could not remove the client row of {ClientId}: {Error}")]
    public static partial void ClientRowNotRemoved(this ILogger logger, ulong clientId, string error);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "epoch {EpochId} opened on {Fid} by client {ClientId}")]
    public static partial void EpochOpened(this ILogger logger, ulong epochId, Fid fid, ulong clientId);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "epoch {EpochId} of {Fid} closed {Outcome}, stale mirrors {MirrorIds}")]
    public static partial void EpochClosed(this ILogger logger, ulong epochId, Fid fid, string outcome, string mirrorIds);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "forced close of the epoch of {Fid} ({Why}) did not finish: {Error}")]
    public static partial void ForcedCloseUnfinished(this ILogger logger, Fid fid, string why, string error);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "recovery: {Epochs} open epochs, waiting up to {WindowMs} ms for {Clients} clients to reconnect")]
    public static partial void RecoveryWindowOpen(this ILogger logger, int epochs, double windowMs, int clients);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "recovery: {Count} clients did not come back; closing {Epochs} epochs with their secondaries stale")]
    public static partial void RecoveryClientsMissing(this ILogger logger, int count, int epochs);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Error, Message = "recovery did not finish: {Error}")]
    public static partial void RecoveryFailed(this ILogger logger, string error);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "{Fid}: fenced {Objects} objects on OST{Ost} at layout generation {Generation} (evicted writer)")]
    public static partial void Fenced(this ILogger logger, Fid fid, int ost, int objects, uint generation);

    [LoggerMessage(EventId = 5302, Level = LogLevel.Warning, Message = "{Fid}: OST{Ost} could not be fenced after {Attempts} attempts ({Error}); its mirrors close STALE")]
    public static partial void FenceFailed(this ILogger logger, Fid fid, int ost, int attempts, string error);
}
