using Microsoft.Data.Sqlite;
using Mirror.Protocol.Mds;
using static Mirror.Mds.Tests.TestMds;

namespace Mirror.Mds.Tests;

/// <summary>A database written by the version 1 MDS (before quota grants, xattrs and volumes) still opens.</summary>
public sealed class SchemaMigrationTests
{
    /// <summary>The version 1 inodes table, as the first MDS created it.</summary>
    private const string Version1Inodes = """
        CREATE TABLE inodes (
            fid BLOB PRIMARY KEY, type INTEGER NOT NULL, mode INTEGER NOT NULL, uid INTEGER NOT NULL,
            gid INTEGER NOT NULL, size INTEGER NOT NULL, nlink INTEGER NOT NULL, atime INTEGER NOT NULL,
            mtime INTEGER NOT NULL, ctime INTEGER NOT NULL, data_version INTEGER NOT NULL, symlink TEXT,
            parent BLOB NOT NULL, name TEXT NOT NULL, next_cookie INTEGER NOT NULL, layout BLOB,
            last_mirror_id INTEGER NOT NULL, last_component_id INTEGER NOT NULL);
        """;

    [Fact]
    public async Task A_version_1_database_opens_keeps_its_files_and_takes_the_new_features()
    {
        await using var mds = await StartAsync();
        await mds.RegisterFourOstsAsync();
        var f = await mds.CreateAsync("f");
        await mds.Service.UpdateSize(new UpdateSizeRequest { Fid = f.Attr.Fid, Size = 777 });

        await mds.ReopenAsync(() => RewriteAsVersion1(Path.Combine(mds.Dir, "mds.sqlite")));

        // The rowid table of version 1 was rebuilt WITHOUT ROWID (one b-tree per row write) with its rows.
        Assert.Contains("WITHOUT ROWID", TableSql(Path.Combine(mds.Dir, "mds.sqlite"), "inodes"));
        var attr = await mds.Service.GetAttr(new FidRequest { Fid = f.Attr.Fid });
        Assert.Equal(777ul, attr.Size);
        Assert.Equal(f.Layout, (await mds.Service.GetLayout(new FidRequest { Fid = f.Attr.Fid })).Layout);
        var v = await mds.Service.CreateVolume(new CreateVolumeRequest { Name = "v", CapacityBytes = 1000 });
        var g = await mds.CreateAsync("g", parent: v.Root);
        await mds.Service.ReserveSpace(new ReserveSpaceRequest { Fid = g.Attr.Fid, NewEnd = 600 });
        await mds.Service.SetXattr(new SetXattrRequest { Fid = f.Attr.Fid, Name = "user.k", Value = Google.Protobuf.ByteString.CopyFromUtf8("v") });

        await mds.ReopenAsync();
        Assert.Equal(600ul, (await mds.Service.GetVolume(new VolumeRequest { Name = "v" })).UsedBytes);
        Assert.Equal("v", (await mds.Service.GetXattr(new XattrRequest { Fid = f.Attr.Fid, Name = "user.k" })).Value.ToStringUtf8());
    }

    private static string TableSql(string path, string table)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $t";
        command.Parameters.AddWithValue("$t", table);
        return (string)command.ExecuteScalar()!;
    }

    private static void RewriteAsVersion1(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            BEGIN;
            ALTER TABLE inodes RENAME TO inodes_v2;
            {Version1Inodes}
            INSERT INTO inodes SELECT fid, type, mode, uid, gid, size, nlink, atime, mtime, ctime, data_version, symlink,
                parent, name, next_cookie, layout, last_mirror_id, last_component_id FROM inodes_v2;
            DROP TABLE inodes_v2;
            DROP TABLE xattrs;
            DROP TABLE volumes;
            DELETE FROM meta WHERE key = 'schema_version';
            COMMIT;
            """;
        command.ExecuteNonQuery();
        using var check = connection.CreateCommand();
        check.CommandText = "SELECT COUNT(*) FROM pragma_table_info('inodes') WHERE name = 'reserved'";
        Assert.Equal(0L, (long)check.ExecuteScalar()!);
        Assert.DoesNotContain("WITHOUT ROWID", TableSql(path, "inodes"));
    }
}
