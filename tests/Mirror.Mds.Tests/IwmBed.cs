using Mirror.Core.Iwm;
using Mirror.Core.Layouts;
using Mirror.Mds.Locks;
using Mirror.Mds.Service;
using Mirror.Protocol;
using Mirror.Protocol.Mds;
using ProtoLockMode = Mirror.Protocol.Mds.LockMode;

namespace Mirror.Mds.Tests;

/// <summary>The IWM test bed over <see cref="TestMds"/>: connect clients, take and cancel locks, read callbacks, look at layouts.</summary>
public static class IwmBed
{
    public static async Task<TestMds> StartAsync()
    {
        var mds = await TestMds.StartAsync();
        await mds.RegisterFourOstsAsync();
        return mds;
    }

    public static async Task<ulong> ConnectAsync(this TestMds mds, string uuid, bool iwmAware = true) =>
        (await mds.Service.Connect(new ConnectRequest { ClientUuid = uuid, IwmAware = iwmAware })).ClientId;

    /// <summary>A file with <paramref name="immediate"/> IMMEDIATE mirrors and <paramref name="delayed"/> ordinary ones.</summary>
    public static async Task<FidMsg> CreateIwmAsync(this TestMds mds, string name, int immediate = 3, int delayed = 0)
    {
        var mirrors = Enumerable.Range(0, immediate).Select(_ => TestMds.MirrorOf(MirrorFlags.Immediate, TestMds.Comp()))
            .Concat(Enumerable.Range(0, delayed).Select(_ => TestMds.MirrorOf(TestMds.Comp())));
        return (await mds.CreateAsync(name, TestMds.Spec(mirrors.ToArray()))).Attr.Fid;
    }

    public static Task<LockEnqueueReply> AwAsync(this TestMds mds, ulong client, FidMsg fid) =>
        mds.Service.LockEnqueue(new LockEnqueueRequest { ClientId = client, Fid = fid, Bits = (uint)LockBits.ActiveWriters, Mode = ProtoLockMode.Cw });

    public static Task<LockEnqueueReply> LayoutLockAsync(this TestMds mds, ulong client, FidMsg fid, LayoutIntentOp intent = LayoutIntentOp.IntentNone) =>
        mds.Service.LockEnqueue(new LockEnqueueRequest { ClientId = client, Fid = fid, Bits = (uint)LockBits.Layout, Mode = ProtoLockMode.Cr, Intent = intent });

    public static Task CancelAsync(this TestMds mds, ulong client, ulong handle, params int[] errorPositions) =>
        mds.Service.LockCancel(new LockCancelRequest { ClientId = client, LockHandle = handle, Lvb = Google.Protobuf.ByteString.CopyFrom(Lvb(errorPositions)) });

    public static byte[] Lvb(params int[] errorPositions)
    {
        var report = new MirrorErrorReport();
        foreach (var p in errorPositions)
        {
            report.Add(p, 1);
        }

        return report.Encode();
    }

    public static FileLayout Layout(this TestMds mds, FidMsg fid) => mds.Core.Layouts.GetLayout(ProtoConvert.Fid(fid)).Layout!.Layout;

    public static bool EpochOpen(this TestMds mds, FidMsg fid) => mds.Core.Epochs.Find(ProtoConvert.Fid(fid)) is not null;

    public static MirrorFlags Flags(this TestMds mds, FidMsg fid, ushort mirrorId) => mds.Layout(fid).Mirror(mirrorId)!.Flags;

    /// <summary>The next blocking callback queued for a client (what its Callbacks stream would deliver).</summary>
    public static async Task<BlockingCallback> NextCallbackAsync(this TestMds mds, ulong client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await mds.Core.Clients.Find(client)!.Callbacks.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>Whether a callback is waiting for the client right now.</summary>
    public static bool HasCallback(this TestMds mds, ulong client) => mds.Core.Clients.Find(client)!.Callbacks.Reader.TryPeek(out _);

    /// <summary>A well-behaved client: answers every callback by cancelling the lock (AW with the given errors).</summary>
    public static async Task AnswerCallbacksAsync(this TestMds mds, ulong client, int count, params int[] awErrors)
    {
        for (var i = 0; i < count; i++)
        {
            var callback = await mds.NextCallbackAsync(client);
            await mds.CancelAsync(client, callback.Lock.Handle, callback.Lock.Bits == LockBits.ActiveWriters ? awErrors : []);
        }
    }

    public static bool NoInflight(this FileLayout layout) => layout.Mirrors.All(m => !m.IsInflight);
}
