using System.Globalization;
using Mirror.Core.Errors;
using Mirror.Ost.Objects;

namespace Mirror.Ost.Host;

/// <summary>
/// Who this data dir belongs to: the OST index it was formatted for and a uuid made once (Lustre's
/// target uuid). Kept in <c>DATADIR/identity</c>; a data dir started under another index is refused so
/// two indexes never serve the same objects.
/// </summary>
public sealed record OstIdentity(int Index, string Uuid)
{
    public const string FileName = "identity";

    public static OstIdentity LoadOrCreate(string dataDir, int index)
    {
        var path = Path.Combine(dataDir, FileName);
        if (File.Exists(path))
        {
            var fields = File.ReadAllLines(path)
                .Select(line => line.Split('=', 2))
                .Where(parts => parts.Length == 2)
                .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim(), StringComparer.Ordinal);
            if (!fields.TryGetValue("index", out var indexText) || !int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out var stored)
                || !fields.TryGetValue("uuid", out var uuid) || !Guid.TryParse(uuid, out _))
            {
                throw new MirrorException(Errno.EIO, $"{path} is not an OST identity (expected index=N and uuid=UUID lines)");
            }

            return stored == index
                ? new OstIdentity(stored, uuid)
                : throw new MirrorException(Errno.EINVAL, $"data dir {dataDir} belongs to OST index {stored}, not {index}");
        }

        var identity = new OstIdentity(index, Guid.NewGuid().ToString());
        var temp = path + ".tmp";
        File.WriteAllText(temp, string.Create(CultureInfo.InvariantCulture, $"index={index}\nuuid={identity.Uuid}\n"));
        using (var handle = File.OpenHandle(temp, FileMode.Open, FileAccess.ReadWrite))
        {
            LinuxSyscalls.Flush(handle, metadata: true, temp);
        }

        File.Move(temp, path);
        LinuxSyscalls.FsyncDirectory(dataDir);
        return identity;
    }
}
