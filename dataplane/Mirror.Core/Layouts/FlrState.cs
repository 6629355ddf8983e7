namespace Mirror.Core.Layouts;

/// <summary>
/// File-level FLR state (Lustre lcm_flags): RDONLY → WRITE_PENDING (write intent) → SYNC_PENDING (resync) → RDONLY.
/// Values are part of the wire protocol.
/// </summary>
public enum FlrState
{
    ReadOnly = 0,
    WritePending = 1,
    SyncPending = 2,
}

public static class FlrStateNames
{
    /// <summary>The short names of <c>lfs find --mirror-state</c>: ro, wp, sp.</summary>
    public static string Short(FlrState state) => state switch
    {
        FlrState.ReadOnly => "ro",
        FlrState.WritePending => "wp",
        FlrState.SyncPending => "sp",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static bool TryParseShort(string text, out FlrState state)
    {
        switch (text)
        {
            case "ro": state = FlrState.ReadOnly; return true;
            case "wp": state = FlrState.WritePending; return true;
            case "sp": state = FlrState.SyncPending; return true;
            default: state = default; return false;
        }
    }
}
