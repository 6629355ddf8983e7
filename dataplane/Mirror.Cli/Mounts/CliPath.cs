namespace Mirror.Cli.Mounts;

/// <summary>
/// A path argument as mirrorctl resolved it: what the user typed, the file-system path it names, and
/// the Mirror mount it was found in (null: the argument was a file-system path already).
/// Output names paths the way the user gave them (<see cref="Display"/>).
/// </summary>
public sealed record CliPath(string Argument, string FsPath, MirrorMount? Mount)
{
    /// <summary>
    /// How to print <paramref name="fsPath"/> (this path or one below it, e.g. a find result): under the
    /// argument as typed when the argument was a mount path, else the file-system path itself.
    /// </summary>
    public string Display(string fsPath)
    {
        if (Mount is null)
        {
            return fsPath;
        }

        if (fsPath == FsPath)
        {
            return Argument;
        }

        var prefix = FsPath == "/" ? "/" : FsPath + "/";
        if (fsPath.StartsWith(prefix, StringComparison.Ordinal))
        {
            var argument = Argument.TrimEnd('/');
            return $"{(argument.Length == 0 ? "" : argument)}/{fsPath[prefix.Length..]}";
        }

        return Mount.ToLocalPath(fsPath) ?? fsPath;
    }

    /// <summary>How to print this path.</summary>
    public string Display() => Display(FsPath);
}
