using Mirror.Client.Metadata;

namespace Mirror.Fuse.Bridge;

/// <summary>
/// A directory's attributes as the MDS returned them with this mount's last change in it (create, mkdir,
/// symlink, mknod, link, unlink, rmdir, rename: NFSv3 wcc "after" data, mds.proto parent_attr). Every such
/// change makes the kernel drop the directory's attributes (fuse_dir_changed), and its next permission check
/// (default_permissions) sends a GETATTR; <see cref="Fresh"/> answers it without asking the MDS.
///
/// Why this is no weaker than the kernel caching them: the attributes are the directory's as of the commit
/// of the change, are served only while younger than the attribute timeout counted from when the change was
/// sent (before the MDS read them), and the reply's attr_valid is only what remains of that timeout. So the
/// kernel never holds them longer than it would had it sent a GETATTR at that moment and cached the answer
/// for the attribute timeout. Changes made in other mounts are invisible for that time either way.
///
/// Ordering: attributes are kept only from a change that had the directory to itself in this mount, from
/// sending to reply. When changes overlap, the MDS may apply them in another order than their replies
/// arrive, so none is kept and the next GETATTR asks the MDS. Any change of the directory through this
/// mount (setattr, xattrs) goes through <see cref="Begin"/> and drops what was kept.
/// </summary>
internal sealed class DirectoryChanges
{
    private readonly Lock sync = new();
    private long started;
    private int inFlight;
    private Kept? kept;

    /// <summary>A change of this directory is about to be sent; pass the ticket to <see cref="End"/>.</summary>
    public Ticket Begin()
    {
        lock (sync)
        {
            var alone = inFlight == 0;
            inFlight++;
            kept = null;
            return new Ticket(++started, alone, Environment.TickCount64);
        }
    }

    /// <summary>
    /// The change's reply (or failure: <paramref name="after"/> null). Keeps <paramref name="after"/> when the
    /// change had the directory to itself: none in flight when it started and none started since.
    /// </summary>
    public void End(Ticket ticket, FileAttr? after)
    {
        lock (sync)
        {
            inFlight--;
            if (after is not null && after.Kind == FileKind.Directory && ticket.Alone && ticket.Sequence == started && inFlight == 0)
            {
                kept = new Kept(after, ticket.SentAt);
            }
        }
    }

    /// <summary>
    /// The kept attributes and how long the kernel may cache them (what remains of <paramref name="attrTimeout"/>
    /// since the change was sent), or null when none are kept or they are that old.
    /// </summary>
    public (FileAttr Attr, TimeSpan Valid)? Fresh(TimeSpan attrTimeout)
    {
        lock (sync)
        {
            if (kept is not { } k)
            {
                return null;
            }

            var valid = attrTimeout - TimeSpan.FromMilliseconds(Environment.TickCount64 - k.SentAt);
            return valid > TimeSpan.Zero ? (k.Attr, valid) : null;
        }
    }

    internal readonly record struct Ticket(long Sequence, bool Alone, long SentAt);

    private sealed record Kept(FileAttr Attr, long SentAt);
}
