using Mirror.Daemon.Options;

namespace Mirror.Daemon.Roles;

/// <summary>The roles mirrord knows, and the options every role accepts.</summary>
internal static class RoleTable
{
    public const string LogFormat = "--log-format";
    public const string LogLevel = "--log-level";
    public const string ReadyFile = "--ready-file";

    public static IReadOnlyList<IDaemonRole> Roles { get; } = [new MdsRole(), new OstRole(), new MountRole()];

    public static IReadOnlyList<OptionSpec> CommonOptions { get; } =
    [
        new(ReadyFile, "FILE", "once listening, write {role,index,address,metrics,pid} as JSON here (atomically)"),
        new(LogFormat, "text|json", "log lines on stderr: single-line text with scopes (default) or JSON"),
        new(LogLevel, "LEVEL", "Trace, Debug, Information (default), Warning, Error"),
    ];

    public static IDaemonRole? Find(string name) => Roles.FirstOrDefault(r => r.Name == name);
}
