using Mirror.Core.Errors;
using Mirror.Core.Layouts;

namespace Mirror.Client.Files;

/// <summary>What <see cref="MirrorClient.ReadMirrorAsync"/> read: the mirror (with its STALE flag) and the bytes copied.</summary>
public sealed record MirrorReadResult(LayoutMirror Mirror, ulong Size);

/// <summary><c>lfs mirror read</c>: one mirror's bytes, whatever state it is in.</summary>
public sealed partial class MirrorClient
{
    /// <summary>
    /// Copies the bytes [0, size) of mirror <paramref name="mirrorId"/> to <paramref name="output"/>, without
    /// failover to another mirror: like <c>lfs mirror read</c> it reads what that mirror holds, also when the
    /// mirror is STALE (the caller decides whether to warn). An unknown id is EINVAL naming it.
    /// </summary>
    public async Task<MirrorReadResult> ReadMirrorAsync(string path, ushort mirrorId, Stream output, CancellationToken ct = default)
    {
        const int chunk = 4 * 1024 * 1024;
        var current = await GetLayoutAsync(path, ct);
        var mirror = current.Layout.Mirror(mirrorId)
            ?? throw new MirrorException(Errno.EINVAL, $"unknown mirror id {mirrorId} in {path}");
        var size = current.Attr.Size;
        var buffer = new byte[(int)Math.Min(chunk, Math.Max(size, 1))];
        for (ulong offset = 0; offset < size; offset += (ulong)buffer.Length)
        {
            var n = (int)Math.Min((ulong)buffer.Length, size - offset);
            await Reader.ReadMirrorAsync(current.Attr.Fid, current.Layout.Generation, mirror, offset, buffer.AsMemory(0, n), ct);
            await output.WriteAsync(buffer.AsMemory(0, n), ct);
        }

        await output.FlushAsync(ct);
        return new MirrorReadResult(mirror, size);
    }
}
