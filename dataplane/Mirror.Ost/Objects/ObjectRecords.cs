namespace Mirror.Ost.Objects;

/// <summary>What a read returns: the bytes (short only at the object's end), the object's size, whether it exists.</summary>
public readonly record struct ObjectReadResult(byte[] Data, ulong ObjectSize, bool Exists);

/// <summary>An object's attributes (GetAttr); all zero when it does not exist.</summary>
public readonly record struct ObjectAttributes(bool Exists, ulong Size, ulong Blocks, long MtimeNs, uint LayoutGeneration);

/// <summary>Space of the file system under the data dir and the number of objects stored.</summary>
public readonly record struct StoreStatfs(ulong TotalBytes, ulong FreeBytes, ulong Objects);
