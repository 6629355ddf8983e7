using System.Collections.Concurrent;
using Mirror.Client.Metadata;
using Mirror.Client.Targets;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Protocol.Ost;
using Mirror.Rpc;

namespace Mirror.Client.Tests.Fakes;

/// <summary>An in-memory OST: objects are byte lists; faults make calls throw like an unreachable or failing OST.</summary>
internal sealed class FakeOst(int index) : IOstTarget
{
    private readonly ConcurrentDictionary<(Fid, uint, uint), byte[]> objects = new();
    private long transno;
    private long committed;

    public int Index { get; } = index;

    public ulong HighestTransno => (ulong)Interlocked.Read(ref transno);

    public ulong LastCommitted => (ulong)Interlocked.Read(ref committed);

    /// <summary>When set, every data call throws it.</summary>
    public Exception? Fault { get; set; }

    /// <summary>The lowest layout generation accepted; older calls get ESTALE.</summary>
    public uint MinGeneration { get; set; }

    public int Reads;
    public int Writes;
    public int Syncs;

    public static RpcException Unavailable(int index) => new(StatusCode.Unavailable, $"OST{index} connection refused");

    public IReadOnlyDictionary<(Fid Fid, uint Component, uint Stripe), byte[]> Objects => objects;

    public byte[]? Object(Fid fid, uint component, int stripe) => objects.GetValueOrDefault((fid, component, (uint)stripe));

    /// <summary>When set, writes wait for it (a slow OST; tests release it).</summary>
    public TaskCompletionSource? WriteGate { get; set; }

    /// <summary>The OST's journal commits everything written so far (as its commit thread would).</summary>
    public void CommitAll() => Interlocked.Exchange(ref committed, Interlocked.Read(ref transno));

    public async Task<WriteReply> WriteAsync(ObjectId obj, ulong offset, ReadOnlyMemory<byte> data, uint layoutGeneration, bool sync, CancellationToken ct = default)
    {
        if (WriteGate is { } gate)
        {
            await gate.Task;
        }

        Check(layoutGeneration);
        Interlocked.Increment(ref Writes);
        var key = Key(obj);
        lock (objects)
        {
            var current = objects.GetValueOrDefault(key, []);
            var end = (int)offset + data.Length;
            if (current.Length < end)
            {
                Array.Resize(ref current, end);
            }

            data.Span.CopyTo(current.AsSpan((int)offset));
            objects[key] = current;
        }

        return new WriteReply { Transno = (ulong)Interlocked.Increment(ref transno), LastCommitted = LastCommitted };
    }

    public Task<ReadReply> ReadAsync(ObjectId obj, ulong offset, uint length, uint layoutGeneration, CancellationToken ct = default)
    {
        Check(layoutGeneration);
        Interlocked.Increment(ref Reads);
        if (!objects.TryGetValue(Key(obj), out var data))
        {
            return Task.FromResult(new ReadReply { Exists = false });
        }

        var n = (int)Math.Max(0, Math.Min((long)length, data.Length - (long)offset));
        return Task.FromResult(new ReadReply { Exists = true, ObjectSize = (ulong)data.Length, Data = Google.Protobuf.ByteString.CopyFrom(data, (int)Math.Min(offset, (ulong)data.Length), n) });
    }

    public Task<ModifyReply> PunchAsync(ObjectId obj, ulong offset, ulong length, uint layoutGeneration, CancellationToken ct = default)
    {
        Check(layoutGeneration);
        lock (objects)
        {
            if (objects.TryGetValue(Key(obj), out var data))
            {
                var end = (int)Math.Min((ulong)data.Length, offset + length);
                if ((int)offset < end)
                {
                    data.AsSpan((int)offset, end - (int)offset).Clear();
                }
            }
        }

        return Modified();
    }

    /// <summary>Preallocation (mode 0) grows the object to offset+length with zeros; KEEP_SIZE (1) leaves its size.</summary>
    public Task<ModifyReply> FallocateAsync(ObjectId obj, ulong offset, ulong length, uint mode, uint layoutGeneration, CancellationToken ct = default)
    {
        Check(layoutGeneration);
        if ((mode & 1) == 0)
        {
            lock (objects)
            {
                var data = objects.GetValueOrDefault(Key(obj), []);
                if ((ulong)data.Length < offset + length)
                {
                    Array.Resize(ref data, (int)(offset + length));
                    objects[Key(obj)] = data;
                }
            }
        }

        return Modified();
    }

    public Task<ModifyReply> SetAttrAsync(ObjectId obj, ulong? size, DateTimeOffset? mtime, uint layoutGeneration, CancellationToken ct = default)
    {
        Check(layoutGeneration);
        if (size is { } s)
        {
            lock (objects)
            {
                var data = objects.GetValueOrDefault(Key(obj), []);
                Array.Resize(ref data, (int)s);
                objects[Key(obj)] = data;
            }
        }

        return Modified();
    }

    public Task<GetAttrReply> GetAttrAsync(ObjectId obj, CancellationToken ct = default) =>
        Task.FromResult(objects.TryGetValue(Key(obj), out var d) ? new GetAttrReply { Exists = true, Size = (ulong)d.Length } : new GetAttrReply());

    public Task<ulong> SyncAsync(CancellationToken ct = default)
    {
        if (Fault is not null)
        {
            throw Fault;
        }

        Interlocked.Increment(ref Syncs);
        Interlocked.Exchange(ref committed, Interlocked.Read(ref transno));
        return Task.FromResult(LastCommitted);
    }

    public Task<ModifyReply> DestroyFileAsync(Fid fid, CancellationToken ct = default)
    {
        foreach (var key in objects.Keys.Where(k => k.Item1 == fid))
        {
            objects.TryRemove(key, out _);
        }

        return Modified();
    }

    private static (Fid, uint, uint) Key(ObjectId obj) => (obj.Fid.ToFid(), obj.ComponentId, obj.StripeIndex);

    private Task<ModifyReply> Modified() =>
        Task.FromResult(new ModifyReply { Transno = (ulong)Interlocked.Increment(ref transno), LastCommitted = LastCommitted });

    private void Check(uint generation)
    {
        if (Fault is not null)
        {
            throw Fault;
        }

        if (generation < MinGeneration)
        {
            throw new MirrorException(Errno.ESTALE, $"OST{Index}: layout generation {generation} is older than {MinGeneration}");
        }
    }
}

internal sealed class FakeOstSet : IOstTargetSet
{
    private readonly ConcurrentDictionary<int, FakeOst> osts = new();

    public FakeOst this[int index] => osts.GetOrAdd(index, i => new FakeOst(i));

    public IEnumerable<FakeOst> All => osts.Values;

    public IOstTarget Get(int ostIndex) => this[ostIndex];
}
