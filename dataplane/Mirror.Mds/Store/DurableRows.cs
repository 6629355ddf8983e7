using Mirror.Core;

namespace Mirror.Mds.Store;

/// <summary>
/// A row of the durable active-epoch set (IWM §2.2.5): the FID has an open write epoch. The error mask holds
/// the mirror positions (layout order, as in the LVB) reported in error so far, persisted before the cancel
/// that reported them is answered (so a crash cannot lose a report); Evicted = a writer of the epoch was
/// evicted, so every secondary must be staled at close (§2.2.4).
/// </summary>
/// <param name="StripeReport">The OR of the writers' LVBs (Mirror.Core.Iwm.MirrorErrorReport, encoded): the failed stripes per errored mirror (IWM §3.1); null when none was reported.</param>
public sealed record EpochRow(Fid Fid, ulong EpochId, ushort ErrorMask, bool Evicted, long OpenedAtNs, byte[]? StripeReport = null);

/// <summary>A connected client (durable so a restarted MDS knows whom to wait for during recovery, §2.2.5).</summary>
public sealed record ClientRow(string Uuid, ulong ClientId, bool IwmAware, long ConnectedAtNs);
