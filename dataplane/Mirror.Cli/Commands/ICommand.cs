namespace Mirror.Cli.Commands;

/// <summary>
/// One mirrorctl command: a name (possibly two words, "mirror create"), its usage text, and how to run
/// it. Parsing is done by each command's pure Parse method, so it is testable without a cluster.
/// </summary>
public interface ICommand
{
    string Name { get; }

    /// <summary>One line for the command list.</summary>
    string Summary { get; }

    /// <summary>The full help: usage line and options.</summary>
    string Usage { get; }

    /// <returns>The exit code: 0 success, 1 operation failure.</returns>
    Task<int> RunAsync(IReadOnlyList<string> args, CliContext context);
}
