using System.Globalization;

namespace Mirror.Daemon.Options;

/// <summary>
/// The options of one role after parsing: every value checked against the role's <see cref="OptionSpec"/>s
/// (known name, value present, required given, not repeated unless repeatable). The typed getters throw
/// <see cref="UsageException"/> naming the option when a value does not parse.
/// </summary>
internal sealed class ParsedOptions
{
    private readonly Dictionary<string, List<string>> values;

    private ParsedOptions(Dictionary<string, List<string>> values, IReadOnlyList<string> positionals)
    {
        this.values = values;
        Positionals = positionals;
    }

    /// <summary>Arguments that are not options (a role that declares <see cref="Roles.IDaemonRole.Positional"/> takes one).</summary>
    public IReadOnlyList<string> Positionals { get; }

    /// <summary>
    /// Accepts <c>--name value</c>, <c>--name=value</c>, <c>--flag</c>, and up to <paramref name="maxPositionals"/>
    /// arguments that are not options.
    /// </summary>
    public static ParsedOptions Parse(IReadOnlyList<string> args, IReadOnlyList<OptionSpec> specs, int maxPositionals = 0)
    {
        var positionals = new List<string>();
        var byName = specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) && positionals.Count < maxPositionals)
            {
                positionals.Add(arg);
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unexpected argument '{arg}' (options start with --)");
            }

            string name;
            string? value = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }
            else
            {
                name = arg;
            }

            if (!byName.TryGetValue(name, out var spec))
            {
                throw new UsageException($"unknown option {name}");
            }

            if (spec.Flag)
            {
                value = value is null or "true" ? "true" : throw new UsageException($"{name} takes no value");
            }
            else if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"{name} needs a value ({spec.ValueName})");
                }

                value = args[++i];
            }

            if (!values.TryGetValue(name, out var list))
            {
                values[name] = list = [];
            }
            else if (!spec.Repeatable)
            {
                throw new UsageException($"{name} given more than once");
            }

            list.Add(value);
        }

        foreach (var spec in specs.Where(s => s.Required && !values.ContainsKey(s.Name)))
        {
            throw new UsageException($"{spec.Name} {spec.ValueName} is required");
        }

        return new ParsedOptions(values, positionals);
    }

    public string? String(string name) => values.TryGetValue(name, out var list) ? list[^1] : null;

    public bool Flag(string name) => values.ContainsKey(name);

    public string RequiredString(string name) =>
        String(name) is { Length: > 0 } value ? value : throw new UsageException($"{name} must not be empty");

    public IReadOnlyList<string> All(string name) => values.TryGetValue(name, out var list) ? list : [];

    public int? Int(string name, int min, int max)
    {
        if (String(name) is not { } text)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"{name} '{text}' is not a whole number from {min} to {max}");
        }

        return value;
    }

    /// <summary>HOST:PORT (port 0 = ephemeral); an IPv6 host goes in brackets.</summary>
    public (string Host, int Port)? HostPort(string name)
    {
        if (String(name) is not { } text)
        {
            return null;
        }

        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon].Trim('[', ']') : "";
        if (host.Length == 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new UsageException($"{name} '{text}' is not HOST:PORT");
        }

        return (host, port);
    }

    /// <summary>A file that must exist and hold a non-empty first line (the cluster token).</summary>
    public string ReadTokenFile(string name)
    {
        var path = RequiredString(name);
        string token;
        try
        {
            token = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{name} '{path}' cannot be read: {e.Message}");
        }

        return token.Length > 0 ? token : throw new UsageException($"{name} '{path}' is empty");
    }
}
