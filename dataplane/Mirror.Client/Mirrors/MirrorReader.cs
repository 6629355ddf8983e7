using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Client.Metadata;
using Mirror.Client.Targets;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;

namespace Mirror.Client.Mirrors;

/// <summary>
/// Reads a file range from one mirror: its stripe pieces in parallel, holes and short or missing
/// objects as zeros (sparse files). With failover: the same range is retried on the next readable
/// mirror when an OST fails (unreachable, EIO, timeout); EIO only when every readable mirror failed.
/// ESTALE (layout generation moved on) is not a mirror failure and goes to the caller, which refetches
/// the layout.
/// </summary>
public sealed partial class MirrorReader(IOstTargetSet targets, ReadMirrorSelector selector, ILogger? logger = null)
{
    private readonly ILogger logger = logger ?? NullLogger.Instance;

    public ReadMirrorSelector Selector => selector;

    /// <summary>Fills <paramref name="buffer"/> with the file bytes at <paramref name="offset"/>; the caller clamps it to the file size.</summary>
    /// <returns>The mirror that served the read.</returns>
    public async Task<ushort> ReadAsync(Fid fid, FileLayout layout, ulong offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        var candidates = selector.Candidates(fid, layout);
        if (candidates.Count == 0)
        {
            throw new MirrorException(Errno.EIO, $"{fid}: no readable mirror (every mirror is stale or inflight)");
        }

        var failures = new List<string>();
        foreach (var mirror in candidates)
        {
            try
            {
                await ReadMirrorAsync(fid, layout.Generation, mirror, offset, buffer, ct);
                selector.ReportSuccess(fid, mirror.Id);
                return mirror.Id;
            }
            catch (Exception e) when (RpcErrors.IsMirrorFailure(e) && !ct.IsCancellationRequested)
            {
                selector.ReportFailure(fid, mirror.Id);
                failures.Add($"mirror {mirror.Id}: {e.Message}");
                LogReadFailover(fid, mirror.Id, e.Message);
            }
        }

        throw new MirrorException(Errno.EIO, $"{fid}: read at {offset} failed on every readable mirror ({string.Join("; ", failures)})");
    }

    /// <summary>Reads from exactly one mirror, no failover (resync source, verify).</summary>
    public Task ReadMirrorAsync(Fid fid, uint generation, LayoutMirror mirror, ulong offset, Memory<byte> buffer, CancellationToken ct = default)
    {
        var pieces = MirrorMapping.Pieces(mirror, offset, buffer.Length);
        var tasks = new List<Task>();
        foreach (var piece in pieces)
        {
            var slice = buffer.Slice((int)(piece.FileOffset - offset), piece.Length);
            tasks.Add(ReadPieceAsync(fid, generation, piece, slice, ct));
        }

        return tasks.Count == 1 ? tasks[0] : Task.WhenAll(tasks);
    }

    private async Task ReadPieceAsync(Fid fid, uint generation, StripePiece piece, Memory<byte> destination, CancellationToken ct)
    {
        if (piece.Component.Osts.Count == 0)
        {
            // A component without objects holds no data yet.
            destination.Span.Clear();
            return;
        }

        var target = targets.Get(piece.OstIndex);
        var obj = OstTargetExtensions.ObjectFor(fid, piece.Component, piece.StripeIndex);
        var reply = await target.ReadAsync(obj, piece.ObjectOffset, (uint)piece.Length, generation, ct);
        var n = Math.Min(reply.Exists ? reply.Data.Length : 0, destination.Length);
        if (n > 0)
        {
            reply.Data.Span[..n].CopyTo(destination.Span);
        }

        // Past the object's end or a missing object: the file is sparse there.
        destination.Span[n..].Clear();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "{Fid}: read from mirror {MirrorId} failed ({Reason}); trying the next readable mirror")]
    private partial void LogReadFailover(Fid fid, ushort mirrorId, string reason);
}
