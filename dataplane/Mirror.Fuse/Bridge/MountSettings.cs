namespace Mirror.Fuse.Bridge;

/// <summary>How the bridge answers: read-only, and how long the kernel may cache names and attributes.</summary>
public sealed record MountSettings
{
    public bool ReadOnly { get; init; }

    /// <summary>
    /// Entry and attribute cache timeouts. 0 (the default) makes the kernel ask again on every path walk
    /// and stat, which is what gives two mounts close-to-open consistency (a file closed in one is seen
    /// with its new size by the next open in the other) without invalidation callbacks.
    /// </summary>
    public TimeSpan EntryTimeout { get; init; } = TimeSpan.Zero;

    public TimeSpan AttrTimeout { get; init; } = TimeSpan.Zero;
}
