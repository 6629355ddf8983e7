using System.Text;
using Mirror.Daemon.Options;
using Mirror.Daemon.Roles;

namespace Mirror.Daemon.Hosting;

/// <summary>The --help texts, generated from the role table so they cannot drift from what is parsed.</summary>
internal static class Help
{
    public static string General()
    {
        var text = new StringBuilder();
        text.AppendLine("usage: mirrord ROLE [OPTIONS]    (mirrord ROLE --help for a role's options)");
        text.AppendLine();
        text.AppendLine("roles:");
        foreach (var role in RoleTable.Roles)
        {
            text.AppendLine($"  {role.Name,-6} {role.Summary}");
        }

        text.AppendLine();
        text.AppendLine("Logs go to stderr. SIGTERM or SIGINT stops the daemon gracefully (exit 0);");
        text.AppendLine("bad options exit 2, a failed start exits 1.");
        return text.ToString();
    }

    public static string ForRole(IDaemonRole role)
    {
        var text = new StringBuilder();
        var required = role.Options.Where(o => o.Required).Select(o => $"{o.Name} {o.ValueName}");
        var positional = role.Positional is null ? "" : $" {role.Positional}";
        text.AppendLine($"usage: mirrord {role.Name} {string.Join(' ', required)} [OPTIONS]{positional}");
        text.AppendLine();
        text.AppendLine(role.Summary);
        text.AppendLine();
        text.AppendLine("options:");
        foreach (var option in role.Options.Concat(RoleTable.CommonOptions))
        {
            AppendOption(text, option);
        }

        if (role.Notes is { } notes)
        {
            text.AppendLine();
            text.Append(notes);
        }

        return text.ToString();
    }

    private static void AppendOption(StringBuilder text, OptionSpec option)
    {
        var left = option.Flag ? option.Name : $"{option.Name} {option.ValueName}";
        var notes = option.Required ? " (required)" : "";
        text.AppendLine($"  {left,-28} {option.Help}{notes}");
    }
}
