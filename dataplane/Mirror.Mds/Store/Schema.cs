namespace Mirror.Mds.Store;

/// <summary>The SQLite schema (see README.md). Fids are 16-byte big-endian blobs.</summary>
internal static class Schema
{
    /// <summary>2: inodes.reserved (quota grant), xattrs, volumes. <see cref="MdsDatabase"/> brings a version 1 file up.</summary>
    public const int Version = 2;

    /// <summary>
    /// Every table, by name. Tables keyed by something other than an integer are WITHOUT ROWID: the row lives in
    /// its primary-key b-tree, so writing a row touches one b-tree instead of the table and its automatic index;
    /// a create then appends 4–5 pages to the WAL instead of 7–9 (README.md "How fast").
    /// </summary>
    public static readonly (string Name, string Create)[] Tables =
    [
        ("meta", "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"),
        ("inodes", """
            CREATE TABLE IF NOT EXISTS inodes (
                fid BLOB PRIMARY KEY, type INTEGER NOT NULL, mode INTEGER NOT NULL, uid INTEGER NOT NULL,
                gid INTEGER NOT NULL, size INTEGER NOT NULL, nlink INTEGER NOT NULL, atime INTEGER NOT NULL,
                mtime INTEGER NOT NULL, ctime INTEGER NOT NULL, data_version INTEGER NOT NULL, symlink TEXT,
                parent BLOB NOT NULL, name TEXT NOT NULL, next_cookie INTEGER NOT NULL, layout BLOB,
                last_mirror_id INTEGER NOT NULL, last_component_id INTEGER NOT NULL,
                reserved INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
            """),
        ("dentries", """
            CREATE TABLE IF NOT EXISTS dentries (
                parent BLOB NOT NULL, name TEXT NOT NULL, fid BLOB NOT NULL, type INTEGER NOT NULL,
                cookie INTEGER NOT NULL, PRIMARY KEY (parent, name)) WITHOUT ROWID;
            """),
        ("changelog", """
            CREATE TABLE IF NOT EXISTS changelog (
                idx INTEGER PRIMARY KEY, type INTEGER NOT NULL, time_ns INTEGER NOT NULL, fid BLOB NOT NULL,
                parent BLOB NOT NULL, name TEXT NOT NULL, detail TEXT NOT NULL, mirror_ids TEXT NOT NULL);
            """),
        ("consumers", "CREATE TABLE IF NOT EXISTS consumers (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, cleared INTEGER NOT NULL);"),
        ("osts", """
            CREATE TABLE IF NOT EXISTS osts (
                idx INTEGER PRIMARY KEY, address TEXT NOT NULL, pool TEXT NOT NULL, labels TEXT NOT NULL,
                failure_domain TEXT NOT NULL, total INTEGER NOT NULL, free INTEGER NOT NULL, uuid TEXT NOT NULL,
                last_seen_ns INTEGER NOT NULL);
            """),
        ("orphans", """
            CREATE TABLE IF NOT EXISTS orphans (
                id INTEGER PRIMARY KEY, fid BLOB NOT NULL, component_id INTEGER NOT NULL,
                stripe_index INTEGER NOT NULL, ost INTEGER NOT NULL);
            """),
        ("active_epochs", """
            CREATE TABLE IF NOT EXISTS active_epochs (
                fid BLOB PRIMARY KEY, epoch_id INTEGER NOT NULL, error_mask INTEGER NOT NULL, evicted INTEGER NOT NULL,
                opened_at INTEGER NOT NULL) WITHOUT ROWID;
            """),
        ("epoch_stripe_errors", "CREATE TABLE IF NOT EXISTS epoch_stripe_errors (fid BLOB PRIMARY KEY, report BLOB NOT NULL) WITHOUT ROWID;"),
        ("clients", """
            CREATE TABLE IF NOT EXISTS clients (
                client_uuid TEXT PRIMARY KEY, client_id INTEGER NOT NULL, iwm_aware INTEGER NOT NULL,
                connected_at INTEGER NOT NULL) WITHOUT ROWID;
            """),
        ("xattrs", "CREATE TABLE IF NOT EXISTS xattrs (fid BLOB NOT NULL, name TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (fid, name)) WITHOUT ROWID;"),
        ("volumes", """
            CREATE TABLE IF NOT EXISTS volumes (
                name TEXT PRIMARY KEY, root BLOB NOT NULL, capacity INTEGER NOT NULL, used INTEGER NOT NULL,
                owner TEXT NOT NULL, layout BLOB, created_ns INTEGER NOT NULL) WITHOUT ROWID;
            """),
    ];

    public static string Create => string.Join("\n", Tables.Select(t => t.Create));

    /// <summary>
    /// Columns added after version 1 (CREATE TABLE IF NOT EXISTS leaves an existing table as it was): each is
    /// added when missing, so a database written by an older MDS opens and keeps its data.
    /// </summary>
    public static readonly (string Table, string Column, string Definition)[] AddedColumns =
    [
        ("inodes", "reserved", "INTEGER NOT NULL DEFAULT 0"),
    ];
}
