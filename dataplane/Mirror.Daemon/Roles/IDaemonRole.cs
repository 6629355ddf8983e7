using Microsoft.Extensions.Logging;
using Mirror.Daemon.Options;

namespace Mirror.Daemon.Roles;

/// <summary>
/// One role mirrord can play (mds, ost; later agent, mount). A role declares its options, checks them
/// before anything starts (<see cref="Prepare"/> throws <see cref="UsageException"/>), then starts its
/// host. Add a role by writing one class and listing it in <see cref="RoleTable"/>.
/// </summary>
internal interface IDaemonRole
{
    string Name { get; }

    /// <summary>One line for the role list in `mirrord --help`.</summary>
    string Summary { get; }

    /// <summary>The role's own options; the common ones (<see cref="RoleTable.CommonOptions"/>) are added by the host.</summary>
    IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>The one argument that is not an option, as help names it (MOUNTPOINT), or null.</summary>
    string? Positional => null;

    /// <summary>Extra paragraphs for the role's --help (what it needs, what it shows), or null.</summary>
    string? Notes => null;

    PreparedRole Prepare(ParsedOptions options);
}

/// <summary>A role whose options were checked: what it will report, and how to start it.</summary>
/// <param name="Index">The target index (0 for the MDS); goes into the ready file.</param>
internal sealed record PreparedRole(int Index, Func<ILoggerFactory, CancellationToken, Task<RunningRole>> StartAsync);

/// <summary>A started host: where it listens (a mount: its mountpoint) and how to stop it gracefully.</summary>
/// <param name="Ended">Completes with the exit code when the host ends by itself (a mount whose FUSE session was lost); null: runs until stopped.</param>
internal sealed record RunningRole(string Address, Uri? MetricsUri, Func<Task> StopAsync, Task<int>? Ended = null);
