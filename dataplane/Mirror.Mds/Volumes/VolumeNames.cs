using System.Text.RegularExpressions;
using Mirror.Core.Errors;

namespace Mirror.Mds.Volumes;

/// <summary>Where volumes live and what they may be called (DNS-1123-like, so a Kubernetes PV name fits).</summary>
public static partial class VolumeNames
{
    /// <summary>The directory under the root that holds one directory per volume (its root).</summary>
    public const string DirectoryName = "volumes";

    public const string Directory = "/" + DirectoryName;

    public static void Validate(string? name)
    {
        if (string.IsNullOrEmpty(name) || !Pattern().IsMatch(name))
        {
            throw new MirrorException(Errno.EINVAL,
                $"volume name '{name}' is invalid: 1-63 characters of a-z, 0-9, '.' and '-', starting with a letter or digit");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
