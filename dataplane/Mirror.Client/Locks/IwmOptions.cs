namespace Mirror.Client.Locks;

/// <summary>IWM client tunables (IWM §2.2.2, §2.3.3.1).</summary>
public sealed record IwmOptions
{
    /// <summary>An unused AW lock is released after this long (1–5 s in the design; 2 s default).</summary>
    public TimeSpan IdleRelease { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>iwm_sync_on_epoch_close: Sync OSTs with uncommitted epoch writes before releasing AW (default on).</summary>
    public bool SyncOnEpochClose { get; init; } = true;

    /// <summary>Budget of one attempt on a secondary mirror before it is fast-failed.</summary>
    public TimeSpan SecondaryTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Further attempts on a failed secondary before it is recorded as failed (0 = hard fail).</summary>
    public int SecondaryRetries { get; init; }

    public TimeSpan SyncTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After a primary failure: how long a restart waits for the MDS to close the failed epoch (IWM §2.4.4).</summary>
    public TimeSpan EpochCloseWait { get; init; } = TimeSpan.FromSeconds(15);
}
