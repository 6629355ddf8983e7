using Mirror.Client.Metadata;
using Mirror.Client.Mirrors;
using Mirror.Client.Targets;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Core.Layouts;
using Mirror.Protocol.Mds;

namespace Mirror.Client.Files;

/// <summary>The outcome of a resync: which mirrors are now in sync, which failed.</summary>
public sealed record ResyncResult(IReadOnlyList<ushort> Synced, IReadOnlyList<MirrorError> Failed, ulong Size, FileLayout Layout);

/// <summary>Mirror operations of <c>lfs mirror</c> (flr-overview "Commands").</summary>
public sealed partial class MirrorClient
{
    /// <summary>
    /// Resync (flr-overview "lfs mirror resync"): INTENT_RESYNC (file → SYNC_PENDING), copy the in-sync
    /// mirror onto the stale ones (or <paramref name="only"/> those ids), commit on the OSTs, ResyncDone with
    /// the generation the resync started at so the MDS clears STALE only if nothing wrote meanwhile.
    /// </summary>
    public async Task<ResyncResult> ResyncAsync(string path, IReadOnlyCollection<ushort>? only = null, IProgress<CopyProgress>? progress = null, CancellationToken ct = default)
    {
        var current = await GetLayoutAsync(path, ct);
        CheckMirrorIds(path, current.Layout, only);
        var targetIds = (only ?? current.Layout.Mirrors.Where(m => m.IsStale && !m.Flags.HasFlag(MirrorFlags.NoSync)).Select(m => m.Id).ToArray()).ToHashSet();
        if (targetIds.Count == 0)
        {
            return new ResyncResult([], [], current.Attr.Size, current.Layout);
        }

        var fid = current.Attr.Fid;
        var started = await WithPath(path, () => Mds.LayoutIntentAsync(fid, LayoutIntentOp.IntentResync, ct));
        var layout = started.Layout;
        var source = layout.Mirrors
            .Where(m => m.IsReadable && !targetIds.Contains(m.Id))
            .OrderByDescending(m => m.Flags.HasFlag(MirrorFlags.Prefer)).ThenBy(m => m.Id)
            .FirstOrDefault()
            ?? throw new MirrorException(Errno.EIO, $"{path}: no in-sync mirror to resync from (mirrors {string.Join(",", targetIds)} are the targets)");
        var targets = layout.Mirrors.Where(m => targetIds.Contains(m.Id)).ToArray();
        var size = started.Attr.Size;
        var copy = await Copier.CopyAsync(fid, layout.Generation, source, fid, layout.Generation, targets, size, progress, ct);
        await SyncOstsAsync(copy.OstsTouched, ct);
        var synced = targets.Where(m => copy.Errors.For(m.Id) is null).Select(m => m.Id).ToArray();
        var done = await WithPath(path, () => Mds.ResyncDoneAsync(fid, layout.Generation, synced, size, ct));
        var result = new ResyncResult(synced, copy.Errors.Errors.ToArray(), size, done.Layout);
        if (result.Failed.Count != 0)
        {
            var f = result.Failed[0];
            throw new MirrorException(f.Errno, $"{path}: resync of mirror {f.MirrorId} failed: {f.Message}");
        }

        return result;
    }

    /// <summary>
    /// Verify (flr-overview "lfs mirror verify"): compares the readable mirrors, or <paramref name="only"/>
    /// those ids, over [0, size).
    /// </summary>
    public async Task<VerifyResult> VerifyAsync(string path, IReadOnlyCollection<ushort>? only = null, IProgress<CopyProgress>? progress = null, CancellationToken ct = default)
    {
        var current = await GetLayoutAsync(path, ct);
        CheckMirrorIds(path, current.Layout, only);
        var mirrors = current.Layout.Mirrors.Where(m => only is null ? m.IsReadable : only.Contains(m.Id)).ToArray();
        if (mirrors.Length < 2)
        {
            throw new MirrorException(Errno.EINVAL, only is null
                ? $"{path}: fewer than two in-sync mirrors to verify ({current.Layout.Mirrors.Count} mirror(s), {mirrors.Length} in sync)"
                : $"{path}: --only needs at least two mirror ids");
        }

        return await Verifier.VerifyAsync(current.Attr.Fid, current.Layout.Generation, mirrors, current.Attr.Size, progress, ct);
    }

    /// <summary>
    /// Extend (flr-overview "lfs mirror extend -N"): adds the mirrors of <paramref name="spec"/> (they
    /// start STALE), resyncs them, and with <paramref name="verify"/> checks them against the source.
    /// </summary>
    public async Task<FileLayout> ExtendAsync(string path, LayoutSpec spec, bool verify = true, IProgress<CopyProgress>? progress = null, CancellationToken ct = default)
    {
        var current = await GetLayoutAsync(path, ct);
        var before = current.Layout.Mirrors.Select(m => m.Id).ToHashSet();
        var extended = await WithPath(path, () => Mds.MirrorExtendAsync(current.Attr.Fid, spec, null, current.Layout.Generation, ct));
        var added = extended.Layout.Mirrors.Where(m => !before.Contains(m.Id)).Select(m => m.Id).ToArray();
        if (added.Length == 0)
        {
            return extended.Layout;
        }

        var resync = await ResyncAsync(path, added, progress, ct);
        if (verify && current.Attr.Size > 0)
        {
            var result = await VerifyAsync(path, resync.Layout.Mirrors.Where(m => m.IsReadable).Select(m => m.Id).ToArray(), null, ct);
            if (!result.Identical)
            {
                throw new MirrorException(Errno.EIO, $"{path}: new mirror(s) differ from the source after resync: {result.Describe()}");
            }
        }

        return resync.Layout;
    }

    /// <summary>
    /// Extend with a victim (flr-overview "lfs mirror extend -f VICTIM"): the victim's mirrors join the file
    /// and the victim goes away. With <paramref name="verify"/> the victim's data must equal the file's first.
    /// The joined mirrors are then resynced from the file, so every mirror ends in sync.
    /// </summary>
    public async Task<FileLayout> ExtendWithVictimAsync(string path, string victimPath, bool verify = true, CancellationToken ct = default)
    {
        var current = await GetLayoutAsync(path, ct);
        var victim = await GetLayoutAsync(victimPath, ct);
        if (verify)
        {
            if (victim.Attr.Size != current.Attr.Size)
            {
                throw new MirrorException(Errno.EINVAL, $"{victimPath}: differs from {path}: {victim.Attr.Size} bytes against {current.Attr.Size}; not extending (--no-verify skips this check)");
            }

            var differsAt = await FirstDifferenceAsync(current, victim, ct);
            if (differsAt is { } at)
            {
                throw new MirrorException(Errno.EINVAL, $"{victimPath}: differs from {path} at offset {at}; not extending (--no-verify skips this check)");
            }
        }

        var before = current.Layout.Mirrors.Select(m => m.Id).ToHashSet();
        var extended = await WithPath(path, () => Mds.MirrorExtendAsync(current.Attr.Fid, null, victim.Attr.Fid, current.Layout.Generation, ct));

        // The MDS cannot know the victim's data equals the file's, so its mirrors arrive STALE; a resync makes
        // them in sync (after a passed verify it rewrites equal bytes; with --no-verify it makes them equal).
        var added = extended.Layout.Mirrors.Where(m => !before.Contains(m.Id) && m.IsStale).Select(m => m.Id).ToArray();
        return added.Length == 0 ? extended.Layout : (await ResyncAsync(path, added, null, ct)).Layout;
    }

    /// <summary>Split (flr-overview "lfs mirror split"): detaches mirror <paramref name="mirrorId"/>, destroying it (-d) or making it <paramref name="splitPath"/> (-f).</summary>
    public async Task<FileLayout> SplitAsync(string path, ushort mirrorId, bool destroy, string? splitPath = null, CancellationToken ct = default)
    {
        var current = await GetLayoutAsync(path, ct);
        CheckMirrorIds(path, current.Layout, [mirrorId]);
        if (current.Layout.Mirrors.Count < 2)
        {
            throw new MirrorException(Errno.EINVAL, $"{path}: has only one mirror, nothing to split");
        }

        Fid? parent = null;
        string? name = null;
        if (splitPath is not null)
        {
            var (dir, leaf) = NamespacePath.Split(splitPath);
            parent = (await StatAsync(dir, ct)).Fid;
            name = leaf;
        }

        var split = await WithPath(path, () => Mds.MirrorSplitAsync(current.Attr.Fid, mirrorId, destroy, parent, name, ct));
        return split.Layout;
    }

    /// <summary>
    /// Migrate (flr-overview "lfs migrate"): restripes the file to <paramref name="spec"/>. A hidden temporary
    /// file in the same directory gets the new layout and a copy of the data; SwapLayouts then gives the file
    /// the temporary's layout (the MDS keeps the components pointed at the temporary's objects), but only if
    /// the file's data_version is still the one seen at the start: a write meanwhile makes it ESTALE ("file was
    /// modified during migrate") and nothing changes. The temporary (now holding the old layout) is removed.
    /// </summary>
    public async Task<FileLayout> MigrateAsync(string path, LayoutSpec spec, IProgress<CopyProgress>? progress = null, CancellationToken ct = default)
    {
        var current = await GetLayoutAsync(path, ct);
        var fid = current.Attr.Fid;
        var dataVersion = current.Attr.DataVersion;
        var source = current.Layout.PrimaryMirror()
            ?? throw new MirrorException(Errno.EIO, $"{path}: no in-sync mirror to migrate from");
        var (dir, name) = NamespacePath.Split(path);
        var parent = (await StatAsync(dir, ct)).Fid;
        var tempName = $".{name}.migrate.{Guid.NewGuid():N}"[..Math.Min(NamespacePath.MaxNameBytes, name.Length + 42)];
        var temp = await WithPath(path, () => Mds.CreateAsync(parent, tempName, current.Attr.Mode, exclusive: true, spec, ct));
        try
        {
            var tempLayout = temp.Layout ?? (await Mds.GetLayoutAsync(temp.Attr.Fid, ct)).Layout;
            var copy = await Copier.CopyAsync(fid, current.Layout.Generation, source, temp.Attr.Fid, tempLayout.Generation, tempLayout.Mirrors, current.Attr.Size, progress, ct);
            if (!copy.Errors.IsEmpty)
            {
                var f = copy.Errors.Errors.First();
                throw new MirrorException(f.Errno, $"{path}: migrate: writing the new layout's mirror {f.MirrorId} failed: {f.Message}");
            }

            await SyncOstsAsync(copy.OstsTouched, ct);
            await Mds.UpdateSizeAsync(temp.Attr.Fid, current.Attr.Size, current.Attr.Mtime, ct);
            try
            {
                return (await Mds.SwapLayoutsAsync(fid, temp.Attr.Fid, dataVersion, ct)).Layout;
            }
            catch (MirrorException e) when (e.Errno == Errno.ESTALE)
            {
                throw new MirrorException(Errno.ESTALE, $"{path}: file was modified during migrate; nothing changed", e);
            }
        }
        finally
        {
            await Mds.UnlinkAsync(parent, tempName, CancellationToken.None);
        }
    }

    private static void CheckMirrorIds(string path, FileLayout layout, IEnumerable<ushort>? ids)
    {
        foreach (var id in ids ?? [])
        {
            if (layout.Mirror(id) is null)
            {
                throw new MirrorException(Errno.EINVAL, $"unknown mirror id {id} in {path}");
            }
        }
    }

    private async Task SyncOstsAsync(IEnumerable<int> osts, CancellationToken ct) =>
        await Task.WhenAll(osts.Select(o => Targets.Get(o).SyncIfNeededAsync(ct)));

    private async Task<ulong?> FirstDifferenceAsync(LayoutResult a, LayoutResult b, CancellationToken ct)
    {
        const int chunk = 4 * 1024 * 1024;
        var bufA = new byte[chunk];
        var bufB = new byte[chunk];
        for (ulong offset = 0; offset < a.Attr.Size; offset += chunk)
        {
            var n = (int)Math.Min(chunk, a.Attr.Size - offset);
            await Task.WhenAll(
                Reader.ReadAsync(a.Attr.Fid, a.Layout, offset, bufA.AsMemory(0, n), ct),
                Reader.ReadAsync(b.Attr.Fid, b.Layout, offset, bufB.AsMemory(0, n), ct));
            var same = bufA.AsSpan(0, n).CommonPrefixLength(bufB.AsSpan(0, n));
            if (same < n)
            {
                return offset + (ulong)same;
            }
        }

        return null;
    }
}
