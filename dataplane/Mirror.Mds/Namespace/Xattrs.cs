using System.Text;
using Mirror.Core;
using Mirror.Core.Errors;
using Mirror.Mds.Changelog;

namespace Mirror.Mds.Namespace;

/// <summary>
/// Extended attributes (xattr(7)) in the "user." and "trusted." namespaces; others are ENOTSUP (the kernel
/// serves "system.posix_acl_*" only when the file system supports ACLs, which this one does not). The MDS
/// stores what it is told: that only privileged callers touch "trusted." is the kernel's check.
/// </summary>
public sealed partial class NamespaceOperations
{
    /// <summary>XATTR_SIZE_MAX: the largest value (E2BIG beyond).</summary>
    public const int MaxXattrValue = 64 * 1024;

    /// <summary>XATTR_NAME_MAX, in UTF-8 bytes (ERANGE beyond).</summary>
    public const int MaxXattrName = 255;

    /// <summary>Names and values of one inode together (ENOSPC beyond), so one inode cannot grow the MDS without bound.</summary>
    public const int MaxXattrTotal = 1024 * 1024;

    public const uint XattrCreate = 1;
    public const uint XattrReplace = 2;

    private static readonly string[] XattrNamespaces = ["user.", "trusted."];

    public byte[] GetXattr(Fid fid, string name) => model.Read(() =>
    {
        ValidateXattrName(name);
        var inode = model.Get(fid);
        return inode.Xattrs.TryGetValue(name, out var value)
            ? value
            : throw new MirrorException(Errno.ENODATA, $"{fid} has no extended attribute '{name}'");
    });

    public IReadOnlyList<string> ListXattr(Fid fid) => model.Read(() => (IReadOnlyList<string>)model.Get(fid).Xattrs.Keys.ToList());

    public Task SetXattrAsync(Fid fid, string name, byte[] value, uint flags) => model.MutateAsync(m =>
    {
        ValidateXattrName(name);
        if ((flags & ~(XattrCreate | XattrReplace)) != 0 || flags == (XattrCreate | XattrReplace))
        {
            throw new MirrorException(Errno.EINVAL, $"setxattr flags 0x{flags:x} are invalid (CREATE=1 or REPLACE=2)");
        }

        if (value.Length > MaxXattrValue)
        {
            throw new MirrorException(Errno.E2BIG, $"value of '{name}' is {value.Length} bytes, at most {MaxXattrValue}");
        }

        var inode = model.Get(fid);
        if (inode.Type == InodeType.Symlink && name.StartsWith("user.", StringComparison.Ordinal))
        {
            // xattr(7): user attributes only on regular files and directories.
            throw new MirrorException(Errno.EPERM, $"'{name}': user extended attributes are not allowed on symlink {fid}");
        }

        var exists = inode.Xattrs.TryGetValue(name, out var old);
        if (exists && (flags & XattrCreate) != 0)
        {
            throw new MirrorException(Errno.EEXIST, $"{fid} already has extended attribute '{name}' (XATTR_CREATE)");
        }

        if (!exists && (flags & XattrReplace) != 0)
        {
            throw new MirrorException(Errno.ENODATA, $"{fid} has no extended attribute '{name}' (XATTR_REPLACE)");
        }

        var total = inode.Xattrs.Sum(x => x.Key.Length + x.Value.Length) - (exists ? name.Length + old!.Length : 0) + name.Length + value.Length;
        if (total > MaxXattrTotal)
        {
            throw new MirrorException(Errno.ENOSPC, $"extended attributes of {fid} would take {total} bytes, at most {MaxXattrTotal}");
        }

        m.SetXattr(inode, name, value);
        inode.CtimeNs = m.NowNs;
        m.Save(inode);
        m.Log(ChangelogKind.SetAttr, fid, inode.Parent, inode.Name, $"xattr set {name}");
        return true;
    });

    public Task RemoveXattrAsync(Fid fid, string name) => model.MutateAsync(m =>
    {
        ValidateXattrName(name);
        var inode = model.Get(fid);
        if (!inode.Xattrs.ContainsKey(name))
        {
            throw new MirrorException(Errno.ENODATA, $"{fid} has no extended attribute '{name}'");
        }

        m.RemoveXattr(inode, name);
        inode.CtimeNs = m.NowNs;
        m.Save(inode);
        m.Log(ChangelogKind.SetAttr, fid, inode.Parent, inode.Name, $"xattr removed {name}");
        return true;
    });

    private static void ValidateXattrName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new MirrorException(Errno.ERANGE, "empty extended attribute name");
        }

        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxXattrName)
        {
            throw new MirrorException(Errno.ERANGE, $"extended attribute name '{name[..16]}...' is {bytes} bytes, at most {MaxXattrName}");
        }

        var space = XattrNamespaces.FirstOrDefault(p => name.StartsWith(p, StringComparison.Ordinal));
        if (space is null)
        {
            throw new MirrorException(Errno.ENOTSUP, $"extended attribute '{name}': only the user. and trusted. namespaces are supported");
        }

        if (name.Length == space.Length || name.Contains('\0'))
        {
            throw new MirrorException(Errno.EINVAL, $"extended attribute name '{name.Replace("\0", "\\0", StringComparison.Ordinal)}' is invalid");
        }
    }
}
