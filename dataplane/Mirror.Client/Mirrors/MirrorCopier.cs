using System.Buffers;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;

namespace Mirror.Client.Mirrors;

/// <summary>Bytes copied so far out of the total (resync, extend, migrate progress).</summary>
public readonly record struct CopyProgress(ulong Done, ulong Total);

/// <summary>
/// The data half of a resync (flr-overview "lfs mirror resync"): copies [0, size) from an in-sync source
/// mirror to each target mirror in large chunks, several in flight, then sets every target stripe
/// object to its exact size (<see cref="MirrorMapping.ObjectSizes"/>) so the mirrors end byte-identical
/// (holes included). A target that fails is dropped from later chunks and reported; the copy goes on
/// for the others.
/// </summary>
public sealed class MirrorCopier(MirrorReader reader, MirrorWriter writer)
{
    public const int DefaultChunkBytes = 4 * 1024 * 1024;

    public int ChunkBytes { get; init; } = DefaultChunkBytes;

    public int ChunksInFlight { get; init; } = 4;

    /// <param name="sourceGeneration">Generation the source is read with.</param>
    /// <param name="targetGeneration">Generation the targets are written with (they differ in migrate: two files).</param>
    public async Task<MirrorWriteResult> CopyAsync(
        Fid sourceFid,
        uint sourceGeneration,
        LayoutMirror source,
        Fid targetFid,
        uint targetGeneration,
        IReadOnlyList<LayoutMirror> targetMirrors,
        ulong size,
        IProgress<CopyProgress>? progress = null,
        CancellationToken ct = default)
    {
        var result = new MirrorWriteResult();
        var live = targetMirrors.ToList();
        ulong done = 0;
        progress?.Report(new CopyProgress(0, size));
        using var window = new SemaphoreSlim(ChunksInFlight);
        var running = new List<Task>();
        Exception? sourceFailure = null;
        for (ulong offset = 0; offset < size && sourceFailure is null; offset += (ulong)ChunkBytes)
        {
            await window.WaitAsync(ct);
            var length = (int)Math.Min((ulong)ChunkBytes, size - offset);
            var chunkOffset = offset;
            running.Add(Task.Run(
                async () =>
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(length);
                    try
                    {
                        var data = buffer.AsMemory(0, length);
                        await reader.ReadMirrorAsync(sourceFid, sourceGeneration, source, chunkOffset, data, ct);
                        IReadOnlyList<LayoutMirror> targets;
                        lock (live)
                        {
                            targets = live.ToArray();
                        }

                        var written = await writer.WriteAsync(targetFid, targetGeneration, targets, chunkOffset, data, ct);
                        lock (live)
                        {
                            result.OstsTouched.UnionWith(written.OstsTouched);
                            result.Errors.Merge(written.Errors);
                            live.RemoveAll(m => written.Errors.For(m.Id) is not null);
                            done += (ulong)length;
                            progress?.Report(new CopyProgress(done, size));
                        }
                    }
                    catch (Exception e)
                    {
                        sourceFailure ??= e;
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        window.Release();
                    }
                },
                ct));
        }

        await Task.WhenAll(running);
        if (sourceFailure is not null)
        {
            throw new MirrorException(
                sourceFailure is MirrorException m ? m.Errno : Errno.EIO,
                $"{sourceFid}: reading source mirror {source.Id} failed: {sourceFailure.Message}",
                sourceFailure);
        }

        var truncated = await writer.TruncateAsync(targetFid, targetGeneration, live, size, ct);
        result.OstsTouched.UnionWith(truncated.OstsTouched);
        result.Errors.Merge(truncated.Errors);
        return result;
    }
}
