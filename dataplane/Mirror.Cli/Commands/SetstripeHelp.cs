namespace Mirror.Cli.Commands;

/// <summary>The setstripe options shared by setstripe, migrate, mirror create and mirror extend.</summary>
public static class SetstripeHelp
{
    public const string Options = """
        setstripe options (they apply to the current -N group; after -E, to that component):
          -c, --stripe-count COUNT   stripes per component (-1 = every OST of the pool)
          -S, --stripe-size SIZE     stripe size, a multiple of 64K (k, m, g suffixes: 4M = 4 MiB)
          -p, --pool POOL            take OSTs from this pool
          -E, --component-end END    end of the current component (eof or -1 = end of file); the next -E starts a new one
          -o, --ost OST[,OST...]     use these OST indexes
          --flags FLAGS              mirror flags: prefer, immediate, nosync (comma-separated)
        """;
}
