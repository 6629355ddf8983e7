namespace Mirror.Daemon.Options;

/// <summary>One command-line option a role accepts.</summary>
/// <param name="Name">The long name with its dashes, e.g. <c>--index</c>.</param>
/// <param name="ValueName">What the value is called in help (N, DIR, HOST:PORT).</param>
/// <param name="Help">One line for --help.</param>
/// <param name="Required">The role refuses to start without it.</param>
/// <param name="Repeatable">May be given more than once (<c>--label ssd --label nvme</c>).</param>
/// <param name="Flag">Takes no value (<c>--read-only</c>); <see cref="ParsedOptions.Flag"/> reads it.</param>
internal sealed record OptionSpec(string Name, string ValueName, string Help, bool Required = false, bool Repeatable = false, bool Flag = false);

/// <summary>Bad or missing command-line input; the message names the option. Exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
