namespace Mirror.Cli.Parsing;

/// <summary>The shared loop of every command parser: options go to a handler in order, the rest are operands.</summary>
public static class OptionLoop
{
    /// <param name="handle">Consumes an option token (and its value from the reader); false = not an option of this command.</param>
    /// <returns>The operands, in order.</returns>
    public static List<string> Run(IReadOnlyList<string> args, string command, Func<string, ArgReader, bool> handle)
    {
        var reader = new ArgReader(args);
        var operands = new List<string>();
        var onlyOperands = false;
        while (!reader.AtEnd)
        {
            var token = reader.Next();
            if (onlyOperands || ArgReader.OptionName(token) is null)
            {
                operands.Add(token);
                continue;
            }

            if (token == "--")
            {
                onlyOperands = true;
                continue;
            }

            if (!handle(token, reader))
            {
                throw new UsageException($"{token}: unknown option for {command} (see mirrorctl {command} --help)");
            }
        }

        return operands;
    }

    public static string One(List<string> operands, string command, string what)
    {
        if (operands.Count == 0)
        {
            throw new UsageException($"{command}: missing {what}");
        }

        if (operands.Count > 1)
        {
            throw new UsageException($"{command}: unexpected argument '{operands[1]}' (one {what} expected)");
        }

        return operands[0];
    }

    public static List<string> AtLeastOne(List<string> operands, string command, string what) =>
        operands.Count != 0 ? operands : throw new UsageException($"{command}: missing {what}");

    /// <summary>Matches <c>--name</c> and <c>--name=value</c>.</summary>
    public static bool Is(string token, params string[] names) =>
        names.Any(n => token == n || (n.StartsWith("--", StringComparison.Ordinal) && token.StartsWith(n + "=", StringComparison.Ordinal)));
}
