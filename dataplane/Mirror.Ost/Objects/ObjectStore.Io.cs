using Mirror.Core.Errors;

namespace Mirror.Ost.Objects;

/// <summary>Data and attribute operations on one object (ost.proto Write/Read/Punch/Fallocate/SetAttr/GetAttr).</summary>
public sealed partial class ObjectStore
{
    private const int KnownFallocModes = LinuxSyscalls.FallocKeepSize | LinuxSyscalls.FallocPunchHole | LinuxSyscalls.FallocZeroRange;
    private const int ENOTSUP = 95;
    private static readonly byte[] Zeros = new byte[1024 * 1024];

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> and returns its transno.</summary>
    public ulong Write(ObjectKey key, ulong offset, ReadOnlySpan<byte> data, uint layoutGeneration)
    {
        if (data.Length > MaxIoBytes)
        {
            throw new MirrorException(Errno.EINVAL, $"write to object {key}: {data.Length} bytes exceeds the {MaxIoBytes}-byte limit");
        }

        CheckRange("write", key, offset, (ulong)data.Length);
        using var lease = Open(key, create: true);
        using var modifying = lease.Object.BeginModify(layoutGeneration); // held until recorded: Fence waits for it (IWM §2.2.6)
        if (!(directIo && DirectIo.Eligible(offset, data.Length) && TryWriteDirect(lease.Object, data, offset)))
        {
            try
            {
                RandomAccess.Write(lease.Object.Handle, data, (long)offset);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw IoErrors.Map(e, $"write at {offset}", key);
            }
        }

        return journal.Record(lease.Object);
    }

    /// <summary>A bulk write past the page cache (<see cref="DirectIo"/>); false when it must go buffered.</summary>
    private bool TryWriteDirect(OpenObject obj, ReadOnlySpan<byte> data, ulong offset)
    {
        if (obj.DirectHandle() is not { } direct)
        {
            return false;
        }

        switch (DirectIo.TryWrite(direct, data, (long)offset, $"object {obj.Key}"))
        {
            case DirectWrite.AsItLies:
                Interlocked.Add(ref directBytesWritten, data.Length);
                return true;
            case DirectWrite.Staged:
                Interlocked.Add(ref directBytesWritten, data.Length);
                Interlocked.Add(ref stagedDirectBytes, data.Length);
                return true;
            default:
                obj.RefuseDirect();
                return false;
        }
    }

    /// <summary>Reads up to <paramref name="length"/> bytes; short only at the object's end, holes read as zeros.</summary>
    public ObjectReadResult Read(ObjectKey key, ulong offset, uint length, uint layoutGeneration)
    {
        var buffer = new byte[Math.Min(length, (uint)MaxIoBytes)];
        var (n, objectSize, exists) = ReadInto(key, offset, buffer.AsSpan(0, (int)Math.Min(length, (uint)buffer.Length)), length, layoutGeneration);
        return new ObjectReadResult(n == buffer.Length ? buffer : buffer[..n], objectSize, exists);
    }

    /// <summary>
    /// <see cref="Read"/> into the caller's <paramref name="destination"/> (the OST service's pooled reply
    /// buffer, so a read allocates nothing): the bytes read (short only at the object's end), the object's
    /// size and whether it exists. <paramref name="length"/> is the size asked for, checked against the limit.
    /// </summary>
    public (int Read, ulong ObjectSize, bool Exists) ReadInto(ObjectKey key, ulong offset, Span<byte> destination, uint length, uint layoutGeneration)
    {
        if (length > MaxIoBytes)
        {
            throw new MirrorException(Errno.EINVAL, $"read of object {key}: {length} bytes exceeds the {MaxIoBytes}-byte limit");
        }

        CheckRange("read", key, offset, length);
        using var lease = Open(key, create: false);
        if (!lease.Exists)
        {
            return (0, 0, false);
        }

        lease.Object.CheckLayoutGeneration(layoutGeneration, record: false);
        try
        {
            var handle = lease.Object.Handle;
            var size = RandomAccess.GetLength(handle);
            if ((long)offset >= size)
            {
                return (0, (ulong)size, true);
            }

            var want = (int)Math.Min(Math.Min(length, (uint)destination.Length), size - (long)offset);
            var done = 0;
            while (done < want)
            {
                var n = RandomAccess.Read(handle, destination[done..want], (long)offset + done);
                if (n == 0)
                {
                    break; // truncated under us: the object now ends here
                }

                done += n;
            }

            return (done, (ulong)size, true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw IoErrors.Map(e, $"read at {offset}", key);
        }
    }

    /// <summary>
    /// Punches a hole (the range reads as zeros, the size is kept). The range is clipped to the object's
    /// size, so a length reaching past it means "to the end" (Lustre's OBD_OBJECT_EOF).
    /// </summary>
    public ulong Punch(ObjectKey key, ulong offset, ulong length, uint layoutGeneration)
    {
        if (length == 0)
        {
            throw new MirrorException(Errno.EINVAL, $"punch on object {key}: length 0 at offset {offset}");
        }

        if (offset > long.MaxValue)
        {
            throw new MirrorException(Errno.EINVAL, $"punch on object {key}: offset {offset} is beyond the largest file offset");
        }

        using var lease = Open(key, create: true);
        var obj = lease.Object;
        using var modifying = obj.BeginModify(layoutGeneration);
        var size = (ulong)GetLength(obj);
        if (offset < size)
        {
            Allocate(obj, offset, Math.Min(length, size - offset), LinuxSyscalls.FallocPunchHole | LinuxSyscalls.FallocKeepSize);
        }

        return journal.Record(obj);
    }

    /// <summary>fallocate(2) with Linux's mode bits: 0 allocates (extends), KEEP_SIZE, PUNCH_HOLE|KEEP_SIZE, ZERO_RANGE[|KEEP_SIZE].</summary>
    public ulong Fallocate(ObjectKey key, ulong offset, ulong length, uint mode, uint layoutGeneration)
    {
        var m = (int)mode;
        var keepSize = (m & LinuxSyscalls.FallocKeepSize) != 0;
        var punch = (m & LinuxSyscalls.FallocPunchHole) != 0;
        var zero = (m & LinuxSyscalls.FallocZeroRange) != 0;
        if ((m & ~KnownFallocModes) != 0 || (punch && (!keepSize || zero)))
        {
            throw new MirrorException(Errno.EINVAL, $"fallocate on object {key}: mode 0x{mode:x} is not one of 0, KEEP_SIZE(1), PUNCH_HOLE|KEEP_SIZE(3), ZERO_RANGE(16), ZERO_RANGE|KEEP_SIZE(17)");
        }

        if (length == 0)
        {
            throw new MirrorException(Errno.EINVAL, $"fallocate on object {key}: length 0 at offset {offset}");
        }

        CheckRange("fallocate", key, offset, length);
        using var lease = Open(key, create: true);
        var obj = lease.Object;
        using var modifying = obj.BeginModify(layoutGeneration);
        Allocate(obj, offset, length, m);
        return journal.Record(obj);
    }

    /// <summary>Truncates (or extends) to <paramref name="size"/> and/or sets the mtime.</summary>
    public ulong SetAttr(ObjectKey key, ulong? size, long? mtimeNs, uint layoutGeneration)
    {
        if (size > long.MaxValue)
        {
            throw new MirrorException(Errno.EINVAL, $"setattr on object {key}: size {size} is beyond the largest file offset");
        }

        using var lease = Open(key, create: true);
        var obj = lease.Object;
        using var modifying = obj.BeginModify(layoutGeneration);
        try
        {
            if (size is { } newSize)
            {
                RandomAccess.SetLength(obj.Handle, (long)newSize);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw IoErrors.Map(e, $"truncate to {size}", key);
        }

        if (mtimeNs is { } mtime)
        {
            LinuxSyscalls.SetMtime(obj.Handle, mtime, $"object {key}");
        }

        obj.MarkMetadataDirty();
        return journal.Record(obj);
    }

    public ObjectAttributes GetAttr(ObjectKey key)
    {
        using var lease = Open(key, create: false);
        if (!lease.Exists)
        {
            return default;
        }

        var (size, blocks, mtime) = LinuxSyscalls.Stat(lease.Object.Handle, $"object {key}");
        return new ObjectAttributes(true, (ulong)size, (ulong)blocks, mtime, lease.Object.LayoutGeneration);
    }

    private static void Allocate(OpenObject obj, ulong offset, ulong length, int mode)
    {
        var keepSize = (mode & LinuxSyscalls.FallocKeepSize) != 0;
        var errno = LinuxSyscalls.Fallocate(obj.Handle, mode, (long)offset, (long)length);
        if (errno == ENOTSUP)
        {
            FallocateByHand(obj, (long)offset, (long)length, keepSize, (mode & (LinuxSyscalls.FallocPunchHole | LinuxSyscalls.FallocZeroRange)) != 0);
        }
        else if (errno != 0)
        {
            throw LinuxSyscalls.Fail(errno, $"fallocate(mode 0x{mode:x}, {offset}, {length})", $"object {obj.Key}");
        }

        if (!keepSize)
        {
            obj.MarkMetadataDirty();
        }
    }

    private static long GetLength(OpenObject obj)
    {
        try
        {
            return RandomAccess.GetLength(obj.Handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw IoErrors.Map(e, "stat", obj.Key);
        }
    }

    private static void CheckRange(string operation, ObjectKey key, ulong offset, ulong length)
    {
        if (offset > long.MaxValue || length > long.MaxValue - offset)
        {
            throw new MirrorException(Errno.EINVAL, $"{operation} on object {key}: offset {offset} + length {length} overflows the largest file offset");
        }
    }

    /// <summary>
    /// For file systems without the fallocate mode: zero the range by writing zeros (within the size
    /// when KEEP_SIZE) and extend the size when asked.
    /// </summary>
    private static void FallocateByHand(OpenObject obj, long offset, long length, bool keepSize, bool zeroRange)
    {
        try
        {
            var size = RandomAccess.GetLength(obj.Handle);
            var end = offset + length;
            if (zeroRange)
            {
                var zeroEnd = keepSize ? Math.Min(end, size) : end;
                for (var at = offset; at < zeroEnd; at += Zeros.Length)
                {
                    RandomAccess.Write(obj.Handle, Zeros.AsSpan(0, (int)Math.Min(Zeros.Length, zeroEnd - at)), at);
                }
            }

            if (!keepSize && end > size)
            {
                RandomAccess.SetLength(obj.Handle, end);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw IoErrors.Map(e, $"zero-fill fallocate at {offset}", obj.Key);
        }
    }
}
