using System.Buffers;
using System.Security.Cryptography;
using Mirror.Client.Metadata;
using Mirror.Core;
using Mirror.Core.Layouts;

namespace Mirror.Client.Mirrors;

/// <summary>The first offset at which two mirrors differ.</summary>
public sealed record MirrorDifference(ushort MirrorA, ushort MirrorB, ulong Offset);

/// <summary>What <c>mirror verify</c> found: differing pairs, mirrors that could not be read, per-mirror SHA-256.</summary>
public sealed record VerifyResult(
    ulong Size,
    IReadOnlyList<ushort> MirrorIds,
    IReadOnlyList<MirrorDifference> Differences,
    IReadOnlyList<MirrorError> ReadErrors,
    IReadOnlyDictionary<ushort, string> Checksums)
{
    public bool Identical => Differences.Count == 0 && ReadErrors.Count == 0;

    /// <summary>"mirrors 1 and 4 differ at offset 1048576; mirror 2 unreadable: ..." (empty when identical).</summary>
    public string Describe() =>
        string.Join("; ", Differences.Select(d => $"mirrors {d.MirrorA} and {d.MirrorB} differ at offset {d.Offset}")
            .Concat(ReadErrors.Select(e => $"mirror {e.MirrorId} unreadable: {e.Message}")));
}

/// <summary>
/// Reads every selected mirror chunk by chunk (each mirror on its own, no failover) and compares them
/// pairwise (flr-overview "lfs mirror verify"). Keeps the first differing offset of each pair.
/// </summary>
public sealed class MirrorVerifier(MirrorReader reader)
{
    public int ChunkBytes { get; init; } = 4 * 1024 * 1024;

    public async Task<VerifyResult> VerifyAsync(Fid fid, uint generation, IReadOnlyList<LayoutMirror> mirrors, ulong size, IProgress<CopyProgress>? progress = null, CancellationToken ct = default)
    {
        var n = mirrors.Count;
        var hashes = mirrors.Select(_ => IncrementalHash.CreateHash(HashAlgorithmName.SHA256)).ToArray();
        var failed = new MirrorError?[n];
        var differences = new Dictionary<(int, int), ulong>();
        var buffers = mirrors.Select(_ => ArrayPool<byte>.Shared.Rent(ChunkBytes)).ToArray();
        try
        {
            for (ulong offset = 0; offset < size; offset += (ulong)ChunkBytes)
            {
                var length = (int)Math.Min((ulong)ChunkBytes, size - offset);
                var reads = new Task[n];
                for (var i = 0; i < n; i++)
                {
                    reads[i] = failed[i] is null
                        ? reader.ReadMirrorAsync(fid, generation, mirrors[i], offset, buffers[i].AsMemory(0, length), ct)
                        : Task.CompletedTask;
                }

                for (var i = 0; i < n; i++)
                {
                    try
                    {
                        await reads[i];
                    }
                    catch (Exception e) when (!ct.IsCancellationRequested)
                    {
                        failed[i] ??= new MirrorError(mirrors[i].Id, RpcErrors.ErrnoOf(e), e.Message);
                    }
                }

                for (var i = 0; i < n; i++)
                {
                    if (failed[i] is not null)
                    {
                        continue;
                    }

                    hashes[i].AppendData(buffers[i], 0, length);
                    for (var j = i + 1; j < n; j++)
                    {
                        if (failed[j] is not null || differences.ContainsKey((i, j)))
                        {
                            continue;
                        }

                        var a = buffers[i].AsSpan(0, length);
                        var b = buffers[j].AsSpan(0, length);
                        var at = a.CommonPrefixLength(b);
                        if (at < length)
                        {
                            differences[(i, j)] = offset + (ulong)at;
                        }
                    }
                }

                progress?.Report(new CopyProgress(offset + (ulong)length, size));
            }

            var checksums = new Dictionary<ushort, string>();
            for (var i = 0; i < n; i++)
            {
                if (failed[i] is null)
                {
                    checksums[mirrors[i].Id] = Convert.ToHexStringLower(hashes[i].GetHashAndReset());
                }
            }

            return new VerifyResult(
                size,
                mirrors.Select(m => m.Id).ToArray(),
                differences.OrderBy(d => d.Key).Select(d => new MirrorDifference(mirrors[d.Key.Item1].Id, mirrors[d.Key.Item2].Id, d.Value)).ToArray(),
                failed.OfType<MirrorError>().ToArray(),
                checksums);
        }
        finally
        {
            foreach (var b in buffers)
            {
                ArrayPool<byte>.Shared.Return(b);
            }

            foreach (var h in hashes)
            {
                h.Dispose();
            }
        }
    }
}
