namespace Mirror.Cli.Parsing;

/// <summary>
/// A cursor over the arguments of one command. Hand-written because lfs's option order matters
/// (-N and -E open groups that later options belong to), which declarative parsers cannot express.
/// Long options take their value as <c>--opt=value</c> or <c>--opt value</c>.
/// </summary>
public sealed class ArgReader(IReadOnlyList<string> args)
{
    private int position;

    public bool AtEnd => position >= args.Count;

    public string Peek() => args[position];

    public string Next() => args[position++];

    /// <summary>The option name of the current token (<c>--flags</c> of <c>--flags=prefer</c>), or null for an operand.</summary>
    public static string? OptionName(string token) =>
        token.Length > 1 && token[0] == '-' && !IsNegativeNumber(token)
            ? (token.StartsWith("--", StringComparison.Ordinal) && token.Contains('=') ? token[..token.IndexOf('=')] : token)
            : null;

    /// <summary>The value of option <paramref name="token"/>: inline (<c>--x=v</c>, <c>-N2</c> handled by callers) or the next argument.</summary>
    public string Value(string token)
    {
        var eq = token.StartsWith("--", StringComparison.Ordinal) ? token.IndexOf('=') : -1;
        if (eq > 0)
        {
            return token[(eq + 1)..];
        }

        if (AtEnd)
        {
            throw new UsageException($"{token}: missing value");
        }

        return Next();
    }

    /// <summary>Takes the next argument when it is a number (the optional count of <c>-N 2</c>).</summary>
    public bool TryNextNumber(out int value)
    {
        value = 0;
        if (!AtEnd && int.TryParse(Peek(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value))
        {
            position++;
            return true;
        }

        return false;
    }

    private static bool IsNegativeNumber(string token) => token.Length > 1 && token[0] == '-' && token[1..].All(char.IsAsciiDigit);
}
