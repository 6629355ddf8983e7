using System.Globalization;

namespace Mirror.Cli.Local;

/// <summary>
/// The arguments of one `local` subcommand: positionals, flags and valued options (<c>--dir D</c> or
/// <c>--dir=D</c>). Anything not declared is a <see cref="LocalUsageException"/> naming it.
/// </summary>
internal sealed class LocalArgs
{
    private readonly Dictionary<string, string?> options = new(StringComparer.Ordinal);

    private LocalArgs()
    {
    }

    public List<string> Positionals { get; } = [];

    public static LocalArgs Parse(string command, IEnumerable<string> args, IReadOnlyCollection<string> flags, IReadOnlyCollection<string> valued)
    {
        var parsed = new LocalArgs();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (!arg.StartsWith('-') || arg == "-")
            {
                parsed.Positionals.Add(arg);
                continue;
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? arg[..eq] : arg;
            if (flags.Contains(name) && eq < 0)
            {
                parsed.options[name] = null;
            }
            else if (valued.Contains(name))
            {
                parsed.options[name] = eq > 0 ? arg[(eq + 1)..]
                    : e.MoveNext() ? e.Current
                    : throw new LocalUsageException($"{name} needs a value");
            }
            else
            {
                throw new LocalUsageException($"unknown option {arg} (see mirrorctl local {command} --help)");
            }
        }

        return parsed;
    }

    public bool Has(string name) => options.ContainsKey(name);

    public string? Value(string name) => options.TryGetValue(name, out var value) ? value : null;

    public int Int(string name, int fallback, int min, int max)
    {
        if (Value(name) is not { } text)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new LocalUsageException($"{name} '{text}' is not a whole number from {min} to {max}");
    }
}
