using Microsoft.Data.Sqlite;
using Mirror.Core;
using Mirror.Mds.Changelog;
using Mirror.Mds.Layouts;
using Mirror.Mds.Namespace;

namespace Mirror.Mds.Store;

/// <summary>
/// The authoritative metadata: one SQLite file in WAL mode (a committed transaction survives kill -9 and power
/// loss: <see cref="GroupCommitter"/> syncs the WAL after each COMMIT, see <see cref="WalSync"/>). Writes go only
/// through the committer; this class opens connections, creates the schema and reads rows back for recovery and
/// the changelog.
/// </summary>
public sealed class MdsDatabase
{
    private static int initialized;

    public MdsDatabase(string path)
    {
        if (Interlocked.Exchange(ref initialized, 1) == 0)
        {
            SQLitePCL.Batteries_V2.Init();
        }

        Path = path;
        ConnectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;" + Schema.Create;
        command.ExecuteNonQuery();
        Migrate(connection);
    }

    public string Path { get; }

    private string ConnectionString { get; }

    /// <summary>A connection with the durability pragmas applied (they are per connection).</summary>
    public SqliteConnection Open() => Open("FULL");

    /// <summary>
    /// The committer's connection: synchronous=NORMAL, so COMMIT does not fsync and the caller must make the WAL
    /// durable itself (<see cref="WalSync"/>) before it answers anyone. Never use it without that sync.
    /// </summary>
    internal SqliteConnection OpenUnsyncedWriter() => Open("NORMAL");

    private SqliteConnection Open(string synchronous)
    {
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA synchronous={synchronous}; PRAGMA foreign_keys=OFF; PRAGMA busy_timeout=5000;";
        command.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Adds the columns of later schema versions to tables an older MDS created, then records the version.</summary>
    private static void Migrate(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        foreach (var (table, column, definition) in Schema.AddedColumns)
        {
            using var info = connection.CreateCommand();
            info.Transaction = transaction;
            info.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
            if ((long)info.ExecuteScalar()! == 0)
            {
                using var alter = connection.CreateCommand();
                alter.Transaction = transaction;
                alter.CommandText = $"ALTER TABLE {table} ADD COLUMN {column} {definition}";
                alter.ExecuteNonQuery();
            }
        }

        foreach (var (table, create) in Schema.Tables)
        {
            RebuildWithoutRowid(connection, transaction, table, create);
        }

        using var version = connection.CreateCommand();
        version.Transaction = transaction;
        version.CommandText = "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', $v)";
        version.Parameters.AddWithValue("$v", Schema.Version);
        version.ExecuteNonQuery();
        transaction.Commit();
    }

    /// <summary>
    /// A table an older MDS created with a rowid (and an automatic index for its key) is copied into its WITHOUT ROWID
    /// form (Schema.Tables), in the open's transaction: same columns and rows, one b-tree to write instead of two.
    /// </summary>
    private static void RebuildWithoutRowid(SqliteConnection connection, SqliteTransaction transaction, string table, string create)
    {
        if (!create.Contains("WITHOUT ROWID", StringComparison.Ordinal))
        {
            return;
        }

        using var current = connection.CreateCommand();
        current.Transaction = transaction;
        current.CommandText = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $t";
        current.Parameters.AddWithValue("$t", table);
        if (current.ExecuteScalar() is not string sql || sql.Contains("WITHOUT ROWID", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        using var rebuild = connection.CreateCommand();
        rebuild.Transaction = transaction;
        rebuild.CommandText = $"ALTER TABLE {table} RENAME TO {table}_rowid; {create}";
        rebuild.ExecuteNonQuery();
        var columns = new List<string>();
        using (var info = connection.CreateCommand())
        {
            info.Transaction = transaction;
            info.CommandText = $"SELECT name FROM pragma_table_info('{table}')";
            using var reader = info.ExecuteReader();
            while (reader.Read())
            {
                columns.Add(reader.GetString(0));
            }
        }

        var list = string.Join(", ", columns);
        rebuild.CommandText = $"INSERT INTO {table} ({list}) SELECT {list} FROM {table}_rowid; DROP TABLE {table}_rowid;";
        rebuild.ExecuteNonQuery();
    }

    public Dictionary<string, long> LoadMeta()
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in Query("SELECT key, value FROM meta"))
        {
            result[r.GetString(0)] = r.GetInt64(1);
        }

        return result;
    }

    public List<InodeRecord> LoadInodes()
    {
        var result = new List<InodeRecord>();
        foreach (var r in Query("SELECT fid, type, mode, uid, gid, size, nlink, atime, mtime, ctime, data_version, symlink, parent, name, next_cookie, layout, last_mirror_id, last_component_id, reserved FROM inodes"))
        {
            var fid = Fid.FromBytes((byte[])r[0]);
            result.Add(new InodeRecord(
                fid, (InodeType)r.GetInt32(1), (uint)r.GetInt64(2), (uint)r.GetInt64(3), (uint)r.GetInt64(4),
                (ulong)r.GetInt64(5), (uint)r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9),
                (ulong)r.GetInt64(10), r.IsDBNull(11) ? null : r.GetString(11), Fid.FromBytes((byte[])r[12]),
                r.GetString(13), (ulong)r.GetInt64(14), r.IsDBNull(15) ? null : LayoutConvert.FromBytes((byte[])r[15], fid) with
                {
                    LastMirrorId = (ushort)r.GetInt64(16),
                    LastComponentId = (uint)r.GetInt64(17),
                }, (ulong)r.GetInt64(18)));
        }

        return result;
    }

    public List<(Fid Parent, DirEntry Entry)> LoadEntries()
    {
        var result = new List<(Fid, DirEntry)>();
        foreach (var r in Query("SELECT parent, name, fid, type, cookie FROM dentries"))
        {
            result.Add((Fid.FromBytes((byte[])r[0]),
                new DirEntry(r.GetString(1), Fid.FromBytes((byte[])r[2]), (InodeType)r.GetInt32(3), (ulong)r.GetInt64(4))));
        }

        return result;
    }

    public List<(Fid Fid, string Name, byte[] Value)> LoadXattrs() =>
        Query("SELECT fid, name, value FROM xattrs").Select(r => (Fid.FromBytes((byte[])r[0]), r.GetString(1), (byte[])r[2])).ToList();

    public List<Volumes.VolumeRecord> LoadVolumes() =>
        Query("SELECT name, root, capacity, used, owner, layout, created_ns FROM volumes")
            .Select(r => new Volumes.VolumeRecord(r.GetString(0), Fid.FromBytes((byte[])r[1]), (ulong)r.GetInt64(2), (ulong)r.GetInt64(3),
                r.GetString(4), r.IsDBNull(5) ? null : Mirror.Protocol.Mds.LayoutSpec.Parser.ParseFrom((byte[])r[5]), r.GetInt64(6), 0))
            .ToList();

    public List<ChangelogConsumer> LoadConsumers() =>
        Query("SELECT id, name, cleared FROM consumers").Select(r => new ChangelogConsumer(r.GetString(0), r.GetString(1), (ulong)r.GetInt64(2))).ToList();

    public ulong LastChangelogIndex() =>
        Query("SELECT COALESCE(MAX(idx), 0) FROM changelog").Select(r => (ulong)r.GetInt64(0)).Single();

    public List<OstRecord> LoadOsts() =>
        Query("SELECT idx, address, pool, labels, failure_domain, total, free, uuid, last_seen_ns FROM osts")
            .Select(r => new OstRecord((uint)r.GetInt64(0), r.GetString(1), r.GetString(2),
                r.GetString(3).Split('\n', StringSplitOptions.RemoveEmptyEntries), r.GetString(4), (ulong)r.GetInt64(5),
                (ulong)r.GetInt64(6), r.GetString(7), r.GetInt64(8)))
            .ToList();

    public List<OrphanObject> LoadOrphans() =>
        Query("SELECT id, fid, component_id, stripe_index, ost FROM orphans ORDER BY id")
            .Select(r => new OrphanObject(r.GetInt64(0), new ObjectRef(Fid.FromBytes((byte[])r[1]), (uint)r.GetInt64(2)),
                r.GetInt32(3), r.GetInt32(4)))
            .ToList();

    public List<EpochRow> LoadEpochs() =>
        Query("SELECT e.fid, e.epoch_id, e.error_mask, e.evicted, e.opened_at, s.report FROM active_epochs e LEFT JOIN epoch_stripe_errors s ON s.fid = e.fid")
            .Select(r => new EpochRow(Fid.FromBytes((byte[])r[0]), (ulong)r.GetInt64(1), (ushort)r.GetInt64(2), r.GetInt64(3) != 0, r.GetInt64(4),
                r.IsDBNull(5) ? null : (byte[])r[5]))
            .ToList();

    public List<ClientRow> LoadClients() =>
        Query("SELECT client_uuid, client_id, iwm_aware, connected_at FROM clients")
            .Select(r => new ClientRow(r.GetString(0), (ulong)r.GetInt64(1), r.GetInt64(2) != 0, r.GetInt64(3)))
            .ToList();

    /// <summary>Committed changelog records after <paramref name="afterIndex"/>, oldest first.</summary>
    public List<ChangelogEntry> ReadChangelog(ulong afterIndex, int max) =>
        Query("SELECT idx, type, time_ns, fid, parent, name, detail, mirror_ids FROM changelog WHERE idx > $a ORDER BY idx LIMIT $m",
                ("$a", (long)afterIndex), ("$m", max))
            .Select(r => new ChangelogEntry((ulong)r.GetInt64(0), (ChangelogKind)r.GetInt32(1), r.GetInt64(2),
                Fid.FromBytes((byte[])r[3]), Fid.FromBytes((byte[])r[4]), r.GetString(5), r.GetString(6),
                r.GetString(7).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(uint.Parse).ToArray()))
            .ToList();

    public long CountChangelog() => Query("SELECT COUNT(*) FROM changelog").Select(r => r.GetInt64(0)).Single();

    private IEnumerable<SqliteDataReader> Query(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return reader;
        }
    }
}
