using Microsoft.Extensions.Logging;
using Mirror.Core;

namespace Mirror.Mds;

/// <summary>The MDS's log events, with fixed event ids (1xxx store, 2xxx recovery, 3xxx layouts, 4xxx host).</summary>
internal static partial class MdsLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Critical, Message = "metadata commit of {Count} mutations failed; the MDS refuses further changes until restarted")]
    public static partial void CommitFailed(this ILogger logger, Exception error, int count);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "created the root directory {Fid}")]
    public static partial void RootCreated(this ILogger logger, Fid fid);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "loaded {Inodes} inodes, {Osts} OSTs, {Orphans} orphan objects, changelog at {Index}")]
    public static partial void Loaded(this ILogger logger, int inodes, int osts, int orphans, ulong index);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "destroying object {Fid}:{ComponentId}:{Stripe} on OST {Ost} failed, will retry: {Error}")]
    public static partial void DestroyFailed(this ILogger logger, Fid fid, uint componentId, int stripe, int ost, string error);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "placement of {Fid} mirror {MirrorId} component {ComponentId} shares {What} with another mirror: pool '{Pool}' has too few")]
    public static partial void PlacementShares(this ILogger logger, Fid fid, ushort mirrorId, uint componentId, string what, string pool);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "MDS serving {Address} from {DataDir}, boot {BootId}")]
    public static partial void Serving(this ILogger logger, string? address, string dataDir, string bootId);
}
