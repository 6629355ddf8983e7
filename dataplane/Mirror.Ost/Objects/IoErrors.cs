using Mirror.Core.Errors;

namespace Mirror.Ost.Objects;

/// <summary>Turns .NET I/O exceptions into errno-carrying <see cref="MirrorException"/>s naming the object.</summary>
internal static class IoErrors
{
    public static MirrorException Map(Exception e, string operation, ObjectKey key)
    {
        if (e is MirrorException mirror)
        {
            return mirror;
        }

        // On Unix an IOException for an errno .NET has no special type for carries the raw errno in HResult.
        var errno = e switch
        {
            UnauthorizedAccessException => Errno.EACCES,
            IOException io when io.HResult is > 0 and < 4096 && Enum.IsDefined(typeof(Errno), io.HResult) => (Errno)io.HResult,
            _ => Errno.EIO,
        };
        return new MirrorException(errno, $"{operation} on object {key} failed: {e.Message}", e);
    }
}
