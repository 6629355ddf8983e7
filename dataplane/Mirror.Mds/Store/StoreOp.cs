using Microsoft.Data.Sqlite;

namespace Mirror.Mds.Store;

/// <summary>
/// One durable change, captured by value when the in-memory model changed (so later changes to the model
/// cannot leak into it) and applied by the <see cref="GroupCommitter"/> inside a batch transaction.
/// </summary>
internal abstract record StoreOp
{
    public abstract void Apply(StatementCache statements);

    /// <summary>
    /// Set for an upsert that writes a whole row (the row's identity): a later upsert of the same row in the same
    /// batch makes this one redundant (<see cref="GroupCommitter"/> coalesces). Null for everything else.
    /// </summary>
    public virtual object? RowKey => null;
}

/// <summary>
/// The writer connection's prepared statements, one per SQL text: SQLite parses each statement once for the
/// life of the committer instead of once per row (most of the cost of a small insert).
/// </summary>
internal sealed class StatementCache(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> commands = new(StringComparer.Ordinal);

    public SqliteTransaction? Transaction { get; set; }

    /// <summary>Statements executed since last reset (metrics).</summary>
    public int Executed { get; set; }

    public void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        if (!commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, _) in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            command.Prepare();
            commands.Add(sql, command);
        }

        command.Transaction = Transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters[name].Value = value ?? DBNull.Value;
        }

        command.ExecuteNonQuery();
        Executed++;
    }

    public void Dispose()
    {
        foreach (var command in commands.Values)
        {
            command.Dispose();
        }
    }
}
