namespace Mirror.Cli.Parsing;

/// <summary>A command line that cannot be run as written (exit code 2). The message names the bad option or argument.</summary>
public sealed class UsageException(string message) : Exception(message);
