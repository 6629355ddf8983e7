using System.Globalization;
using Mirror.Core;

namespace Mirror.Ost.Objects;

/// <summary>
/// One stripe object: stripe <see cref="StripeIndex"/> of component <see cref="ComponentId"/> of file
/// <see cref="Fid"/> (ost.proto ObjectId). Its file lives at
/// <c>objects/&lt;seq hex&gt;/&lt;oid low byte hex&gt;/&lt;seq&gt;-&lt;oid&gt;-&lt;ver&gt;-c&lt;component&gt;-s&lt;stripe&gt;</c>:
/// the two-level fan-out keeps any one directory to a few thousand names even for millions of files.
/// </summary>
public readonly record struct ObjectKey(Fid Fid, uint ComponentId, uint StripeIndex)
{
    public override string ToString() => $"{Fid}/c{ComponentId}/s{StripeIndex}";

    /// <summary>The directory, relative to the objects root, holding every object of <paramref name="fid"/>.</summary>
    public static string FileDirectory(Fid fid) =>
        Path.Combine(
            fid.Sequence.ToString("x", CultureInfo.InvariantCulture),
            (fid.ObjectId & 0xff).ToString("x2", CultureInfo.InvariantCulture));

    /// <summary>The prefix every object file name of <paramref name="fid"/> starts with.</summary>
    public static string FileNamePrefix(Fid fid) =>
        string.Create(CultureInfo.InvariantCulture, $"{fid.Sequence:x}-{fid.ObjectId:x}-{fid.Version:x}-c");

    public string FileName =>
        string.Create(CultureInfo.InvariantCulture, $"{FileNamePrefix(Fid)}{ComponentId}-s{StripeIndex}");

    public string RelativePath => Path.Combine(FileDirectory(Fid), FileName);
}
