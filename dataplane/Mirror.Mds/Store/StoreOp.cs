using Microsoft.Data.Sqlite;

namespace Mirror.Mds.Store;

/// <summary>
/// One durable change, captured by value when the in-memory model changed (so later changes to the model
/// cannot leak into it) and applied by the <see cref="GroupCommitter"/> inside a batch transaction.
/// </summary>
internal abstract record StoreOp
{
    public abstract void Apply(SqliteConnection connection);

    protected static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    protected static void Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        command.ExecuteNonQuery();
    }
}
