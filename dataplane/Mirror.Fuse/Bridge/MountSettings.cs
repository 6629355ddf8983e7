namespace Mirror.Fuse.Bridge;

/// <summary>How the bridge answers: read-only, and how long the kernel may cache names and attributes.</summary>
public sealed record MountSettings
{
    /// <summary>The entry and attribute timeout unless told otherwise (mirrord mount --entry-timeout/--attr-timeout).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(1);

    public bool ReadOnly { get; init; }

    /// <summary>
    /// How long the kernel may use a name without a LOOKUP. Within it a name removed or replaced by another
    /// mount may still resolve here; an open of a FID that is gone answers ESTALE, and the kernel then walks
    /// the path again (LOOKUP_REVAL). 0 revalidates every path component at every syscall.
    /// </summary>
    public TimeSpan EntryTimeout { get; init; } = DefaultTimeout;

    /// <summary>
    /// How long the kernel may answer stat from cached attributes. Within it a stat may show another
    /// mount's file as it was; close-to-open still holds because OPEN fetches fresh attributes and
    /// invalidates the inode when they changed (FUSE_NOTIFY_INVAL_INODE). 0 asks the MDS at every stat.
    /// </summary>
    public TimeSpan AttrTimeout { get; init; } = DefaultTimeout;

    /// <summary>How long the kernel may remember that a name does not exist; 0 (default) does not cache ENOENT.</summary>
    public TimeSpan NegativeTimeout { get; init; } = TimeSpan.Zero;
}
