using Mirror.Core;
using Mirror.Mds.Changelog;
using Mirror.Mds.Layouts;
using Mirror.Mds.Namespace;

namespace Mirror.Mds.Store;

/// <summary>Upserts a whole inode row (small rows; simpler and as fast as per-column updates).</summary>
internal sealed record SaveInodeOp(InodeRecord Inode) : StoreOp
{
    public override object? RowKey => (nameof(SaveInodeOp), Inode.Fid);

    public override void Apply(StatementCache statements)
    {
        var i = Inode;
        statements.Execute("""
            INSERT OR REPLACE INTO inodes (fid, type, mode, uid, gid, size, nlink, atime, mtime, ctime, data_version,
                symlink, parent, name, next_cookie, layout, last_mirror_id, last_component_id, reserved)
            VALUES ($fid, $type, $mode, $uid, $gid, $size, $nlink, $atime, $mtime, $ctime, $dv, $symlink, $parent,
                $name, $cookie, $layout, $lastMirror, $lastComponent, $reserved)
            """,
            ("$fid", i.Fid.ToBytes()), ("$type", (int)i.Type), ("$mode", i.Mode), ("$uid", i.Uid), ("$gid", i.Gid),
            ("$size", (long)i.Size), ("$nlink", i.Nlink), ("$atime", i.AtimeNs), ("$mtime", i.MtimeNs),
            ("$ctime", i.CtimeNs), ("$dv", (long)i.DataVersion), ("$symlink", i.SymlinkTarget),
            ("$parent", i.Parent.ToBytes()), ("$name", i.Name), ("$cookie", (long)i.NextCookie),
            ("$layout", i.Layout is null ? null : LayoutConvert.ToBytes(i.Layout)),
            ("$lastMirror", (long)(i.Layout?.LastMirrorId ?? 0)), ("$lastComponent", (long)(i.Layout?.LastComponentId ?? 0)),
            ("$reserved", (long)i.Reserved));
    }
}

internal sealed record DeleteInodeOp(Fid Fid) : StoreOp
{
    public override void Apply(StatementCache statements)
    {
        statements.Execute("DELETE FROM inodes WHERE fid = $fid", ("$fid", Fid.ToBytes()));
        statements.Execute("DELETE FROM xattrs WHERE fid = $fid", ("$fid", Fid.ToBytes()));
    }
}

internal sealed record SetXattrOp(Fid Fid, string Name, byte[] Value) : StoreOp
{
    public override void Apply(StatementCache statements) =>
        statements.Execute("INSERT OR REPLACE INTO xattrs (fid, name, value) VALUES ($f, $n, $v)",
            ("$f", Fid.ToBytes()), ("$n", Name), ("$v", Value));
}

internal sealed record DeleteXattrOp(Fid Fid, string Name) : StoreOp
{
    public override void Apply(StatementCache statements) =>
        statements.Execute("DELETE FROM xattrs WHERE fid = $f AND name = $n", ("$f", Fid.ToBytes()), ("$n", Name));
}

internal sealed record SaveVolumeOp(Volumes.VolumeRecord Volume) : StoreOp
{
    public override object? RowKey => (nameof(SaveVolumeOp), Volume.Name);

    public override void Apply(StatementCache statements)
    {
        var v = Volume;
        statements.Execute("""
            INSERT OR REPLACE INTO volumes (name, root, capacity, used, owner, layout, created_ns)
            VALUES ($n, $r, $c, $u, $o, $l, $t)
            """,
            ("$n", v.Name), ("$r", v.Root.ToBytes()), ("$c", (long)v.Capacity), ("$u", (long)v.Used), ("$o", v.Owner),
            ("$l", v.Layout is null ? null : Google.Protobuf.MessageExtensions.ToByteArray(v.Layout)), ("$t", v.CreatedNs));
    }
}

internal sealed record DeleteVolumeOp(string Name) : StoreOp
{
    public override void Apply(StatementCache statements) =>
        statements.Execute("DELETE FROM volumes WHERE name = $n", ("$n", Name));
}

internal sealed record InsertEntryOp(Fid Parent, DirEntry Entry) : StoreOp
{
    public override void Apply(StatementCache statements) =>
        statements.Execute("INSERT OR REPLACE INTO dentries (parent, name, fid, type, cookie) VALUES ($p, $n, $f, $t, $c)",
            ("$p", Parent.ToBytes()), ("$n", Entry.Name), ("$f", Entry.Fid.ToBytes()), ("$t", (int)Entry.Type),
            ("$c", (long)Entry.Cookie));
}

internal sealed record DeleteEntryOp(Fid Parent, string Name) : StoreOp
{
    public override void Apply(StatementCache statements) =>
        statements.Execute("DELETE FROM dentries WHERE parent = $p AND name = $n", ("$p", Parent.ToBytes()), ("$n", Name));
}

internal sealed record SetMetaOp(string Key, long Value) : StoreOp
{
    public override object? RowKey => (nameof(SetMetaOp), Key);

    public override void Apply(StatementCache statements) =>
        statements.Execute("INSERT OR REPLACE INTO meta (key, value) VALUES ($k, $v)", ("$k", Key), ("$v", Value));
}

internal sealed record AppendChangelogOp(ChangelogEntry Entry) : StoreOp
{
    public override void Apply(StatementCache statements)
    {
        var e = Entry;
        statements.Execute("""
            INSERT INTO changelog (idx, type, time_ns, fid, parent, name, detail, mirror_ids)
            VALUES ($i, $t, $time, $f, $p, $n, $d, $m)
            """,
            ("$i", (long)e.Index), ("$t", (int)e.Kind), ("$time", e.TimeNs), ("$f", e.Fid.ToBytes()),
            ("$p", e.Parent.ToBytes()), ("$n", e.Name), ("$d", e.Detail), ("$m", string.Join(',', e.MirrorIds)));
    }
}

internal sealed record PurgeChangelogOp(ulong UpToIndex) : StoreOp
{
    public override void Apply(StatementCache statements) =>
        statements.Execute("DELETE FROM changelog WHERE idx <= $i", ("$i", (long)UpToIndex));
}

internal sealed record SaveConsumerOp(ChangelogConsumer Consumer) : StoreOp
{
    public override object? RowKey => (nameof(SaveConsumerOp), Consumer.Id);

    public override void Apply(StatementCache statements) =>
        statements.Execute("INSERT OR REPLACE INTO consumers (id, name, cleared) VALUES ($i, $n, $c)",
            ("$i", Consumer.Id), ("$n", Consumer.Name), ("$c", (long)Consumer.ClearedIndex));
}

internal sealed record SaveOstOp(OstRecord Ost) : StoreOp
{
    public override object? RowKey => (nameof(SaveOstOp), Ost.Index);

    public override void Apply(StatementCache statements)
    {
        var o = Ost;
        statements.Execute("""
            INSERT OR REPLACE INTO osts (idx, address, pool, labels, failure_domain, total, free, uuid, last_seen_ns)
            VALUES ($i, $a, $p, $l, $fd, $t, $f, $u, $s)
            """,
            ("$i", (long)o.Index), ("$a", o.Address), ("$p", o.Pool), ("$l", string.Join('\n', o.Labels)),
            ("$fd", o.FailureDomain), ("$t", (long)o.TotalBytes), ("$f", (long)o.FreeBytes), ("$u", o.Uuid),
            ("$s", o.LastSeenNs));
    }
}

internal sealed record InsertOrphanOp(OrphanObject Orphan) : StoreOp
{
    public override void Apply(StatementCache statements)
    {
        var o = Orphan;
        statements.Execute("INSERT INTO orphans (id, fid, component_id, stripe_index, ost) VALUES ($i, $f, $c, $s, $o)",
            ("$i", o.Id), ("$f", o.Object.Fid.ToBytes()), ("$c", (long)o.Object.ComponentId), ("$s", o.Stripe), ("$o", o.Ost));
    }
}

internal sealed record DeleteOrphanOp(long Id) : StoreOp
{
    public override void Apply(StatementCache statements) =>
        statements.Execute("DELETE FROM orphans WHERE id = $i", ("$i", Id));
}

/// <summary>The durable active-epoch set (IWM §2.2.5): one row per FID with an open write epoch.</summary>
internal sealed record SaveEpochOp(EpochRow Epoch) : StoreOp
{
    public override void Apply(StatementCache statements)
    {
        var e = Epoch;
        statements.Execute("""
            INSERT OR REPLACE INTO active_epochs (fid, epoch_id, error_mask, evicted, opened_at)
            VALUES ($f, $e, $m, $v, $o)
            """,
            ("$f", e.Fid.ToBytes()), ("$e", (long)e.EpochId), ("$m", (long)e.ErrorMask), ("$v", e.Evicted ? 1 : 0), ("$o", e.OpenedAtNs));

        // The per-stripe part of the error report (IWM §3.1) lives beside the row, so data dirs made before it still open.
        if (e.StripeReport is { Length: > 0 } report)
        {
            statements.Execute("INSERT OR REPLACE INTO epoch_stripe_errors (fid, report) VALUES ($f, $r)", ("$f", e.Fid.ToBytes()), ("$r", report));
        }
        else
        {
            statements.Execute("DELETE FROM epoch_stripe_errors WHERE fid = $f", ("$f", e.Fid.ToBytes()));
        }
    }
}

internal sealed record DeleteEpochOp(Fid Fid) : StoreOp
{
    public override void Apply(StatementCache statements)
    {
        statements.Execute("DELETE FROM active_epochs WHERE fid = $f", ("$f", Fid.ToBytes()));
        statements.Execute("DELETE FROM epoch_stripe_errors WHERE fid = $f", ("$f", Fid.ToBytes()));
    }
}

internal sealed record SaveClientOp(ClientRow Client) : StoreOp
{
    public override void Apply(StatementCache statements)
    {
        var c = Client;
        statements.Execute("INSERT OR REPLACE INTO clients (client_uuid, client_id, iwm_aware, connected_at) VALUES ($u, $i, $a, $t)",
            ("$u", c.Uuid), ("$i", (long)c.ClientId), ("$a", c.IwmAware ? 1 : 0), ("$t", c.ConnectedAtNs));
    }
}

internal sealed record DeleteClientOp(string Uuid) : StoreOp
{
    public override void Apply(StatementCache statements) =>
        statements.Execute("DELETE FROM clients WHERE client_uuid = $u", ("$u", Uuid));
}
