using System.Globalization;
using System.Text;
using Mirror.Core.Errors;
using Mirror.Ost.Objects;

namespace Mirror.Ost.Commit;

/// <summary>
/// The persisted last_committed (Lustre keeps it in last_rcvd). Replaced atomically: write a temp file,
/// fsync it, rename it over the old one, fsync the directory — so after a crash the file holds either
/// the old or the new value, never a torn one.
/// </summary>
public sealed class LastCommittedFile
{
    public const string FileName = "last_committed";

    private readonly string path;
    private readonly string tempPath;
    private readonly string directory;

    public LastCommittedFile(string dataDir)
    {
        directory = dataDir;
        path = Path.Combine(dataDir, FileName);
        tempPath = path + ".tmp";
    }

    /// <summary>The persisted value; 0 for a new data dir.</summary>
    public ulong Load()
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        var text = File.ReadAllText(path).Trim();
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new MirrorException(Errno.EIO, $"{path} holds '{text}', not a transno");
    }

    public void Store(ulong lastCommitted)
    {
        var bytes = Encoding.ASCII.GetBytes(lastCommitted.ToString(CultureInfo.InvariantCulture) + "\n");
        using (var handle = File.OpenHandle(tempPath, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            RandomAccess.Write(handle, bytes, 0);
            LinuxSyscalls.Flush(handle, metadata: true, tempPath);
        }

        File.Move(tempPath, path, overwrite: true);
        LinuxSyscalls.FsyncDirectory(directory);
    }
}
