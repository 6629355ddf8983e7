using Mirror.Client.Metadata;
using Mirror.Core.Iwm;
using Mirror.Core.Layouts;
using Mirror.Protocol;
using Mirror.Protocol.Mds;

namespace Mirror.Client.Tests.Fakes;

/// <summary>
/// The IWM lock calls of an MDS for one client (mds.proto "Immediate Write Mirroring"): LAYOUT CR and AW CW
/// grants, the epoch open on the first AW grant (secondaries INFLIGHT, state-only generation bump), and the
/// close when the last AW lock goes (error mask positions STALE, the rest clean), as IWM §2.2.4 describes.
/// </summary>
internal static class FakeLockMds
{
    public static FakeMds EnableLocks(this FakeMds mds)
    {
        mds.Rpc
            .On<ConnectRequest, ConnectReply>(MdsMethods.Connect, r =>
            {
                lock (mds)
                {
                    mds.ConnectUuids.Add(r.ClientUuid);
                    return new ConnectReply { ClientId = (ulong)mds.ConnectUuids.Count, MdsBootId = mds.BootId, LeaseMs = 3000, Reconnected = mds.ReconnectAsKnown };
                }
            })
            .On<LockEnqueueRequest, LockEnqueueReply>(MdsMethods.LockEnqueue, r =>
            {
                lock (mds)
                {
                    if (mds.EvictOnNextEnqueue)
                    {
                        mds.EvictOnNextEnqueue = false;
                        throw new Mirror.Rpc.RpcException(Mirror.Rpc.StatusCode.Aborted, $"client {r.ClientId} evicted; connect again", Core.Errors.Errno.ESTALE);
                    }

                    var handle = ++mds.LastHandle;
                    var bits = (LockBit)r.Bits;
                    mds.Enqueues.Add((handle, bits));
                    if (bits == LockBit.ActiveWriters)
                    {
                        if (mds.EpochId == 0)
                        {
                            OpenEpoch(mds);
                        }

                        mds.HeldAw.Add(handle);
                    }
                    else
                    {
                        mds.HeldLayout.Add(handle);
                    }

                    return new LockEnqueueReply { LockHandle = handle, EpochId = mds.EpochId, Layout = mds.Layout.ToMsg(), Attr = new Attr { Fid = FakeMds.FileFid.ToMsg(), Type = FileType.Regular, Size = mds.Size, LayoutGeneration = mds.Layout.Generation } };
                }
            })
            .On<LockCancelRequest, Empty>(MdsMethods.LockCancel, r =>
            {
                lock (mds)
                {
                    mds.HeldLayout.Remove(r.LockHandle);
                    if (mds.HeldAw.Remove(r.LockHandle))
                    {
                        var lvb = r.Lvb.ToByteArray();
                        mds.AwCancels.Add((r.LockHandle, lvb));
                        mds.ErrorMask |= MirrorErrorReport.Decode(lvb).MirrorMask;
                        if (mds.HeldAw.Count == 0 && mds.EpochId != 0)
                        {
                            CloseEpoch(mds);
                        }
                    }
                    else
                    {
                        mds.OtherCancels.Add(r.LockHandle);
                    }

                    return new Empty();
                }
            })
            .On<PingRequest, PingReply>(MdsMethods.Ping, _ => new PingReply { MdsBootId = mds.BootId, Evicted = mds.EvictOnPing })
            .On<LockReplayRequest, LockReplayReply>(MdsMethods.LockReplay, r =>
            {
                lock (mds)
                {
                    mds.Replayed.AddRange(r.Locks);
                    var reply = new LockReplayReply();
                    foreach (var l in r.Locks)
                    {
                        var handle = ++mds.LastHandle;
                        (l.Bits == (uint)LockBit.ActiveWriters ? mds.HeldAw : mds.HeldLayout).Add(handle);
                        reply.LockHandles.Add(handle);
                    }

                    return reply;
                }
            });
        return mds;
    }

    private static void OpenEpoch(FakeMds mds)
    {
        var primary = mds.Layout.Mirrors.Where(m => m.IsImmediate && m.IsReadable)
            .OrderByDescending(m => m.Flags.HasFlag(MirrorFlags.Prefer)).ThenBy(m => m.Id).First().Id;
        mds.EpochId = ++mds.LastEpochId;
        mds.ErrorMask = 0;
        mds.Layout = mds.Layout with
        {
            Generation = mds.Layout.Generation + 1,
            State = FlrState.WritePending,
            StateOnlyChange = true,
            Mirrors = mds.Layout.Mirrors.Select(m =>
                m.Id == primary ? m
                : m.IsImmediate && !m.IsStale ? m with { Flags = m.Flags | MirrorFlags.Inflight }
                : m with { Flags = m.Flags | MirrorFlags.Stale }).ToArray(),
        };
    }

    private static void CloseEpoch(FakeMds mds)
    {
        var mirrors = mds.Layout.Mirrors.Select((m, position) =>
            (mds.ErrorMask & (1 << position)) != 0
                ? m with { Flags = (m.Flags & ~MirrorFlags.Inflight) | MirrorFlags.Stale }
                : m with { Flags = m.Flags & ~MirrorFlags.Inflight }).ToArray();
        mds.Layout = mds.Layout with
        {
            Generation = mds.Layout.Generation + 1,
            State = mirrors.Any(m => m.IsStale) ? FlrState.WritePending : FlrState.ReadOnly,
            StateOnlyChange = true,
            Mirrors = mirrors,
        };
        mds.ClosedMasks.Add(mds.ErrorMask);
        mds.EpochId = 0;
    }
}
