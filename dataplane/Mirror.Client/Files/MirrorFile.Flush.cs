namespace Mirror.Client.Files;

/// <summary>flush(2)-time work of a handle that stays open (a FUSE FLUSH on each close of a dup'ed descriptor).</summary>
public sealed partial class MirrorFile
{
    /// <summary>
    /// What <see cref="CloseAsync"/> does without closing: waits for the write-behind window, throws a write
    /// error not yet reported, and reports the size (close-to-open consistency for other clients).
    /// </summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        ThrowIfClosed();
        await DrainAsync();
        ThrowPendingError();
        await ReportSizeAsync(ct);
    }
}
