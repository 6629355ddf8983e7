using Mirror.Client.Mirrors;
using Mirror.Core;
using Mirror.Core.Layouts;
using LockValueBlock = Mirror.Core.Iwm.MirrorErrorReport;

namespace Mirror.Client.Locks;

/// <summary>
/// One Active-Writer (AW CW) lock this client holds on a file: the write epoch it takes part in
/// (IWM §2.2.1). Tracks what release needs (§2.2.6): the operations running under it (release waits for
/// them: "finish in-flight writes"), every OST written with the highest transno seen there (commit before
/// release, §2.2.2), and the per-mirror, per-stripe errors for the cancel LVB (§2.2.3).
/// Operations <see cref="TryEnter"/> before their first OST call and <see cref="Exit"/> after their last.
/// Thread-safe (one monitor on this object, never held across an await).
/// </summary>
public sealed class ActiveWriterLock
{
    private readonly FileLocks file;
    private readonly Dictionary<ushort, (int StripeCount, SortedSet<int> Stripes)> errors = [];
    private readonly Dictionary<int, (CommitMarks Marks, HashSet<ushort> Mirrors)> written = [];
    private readonly TaskCompletionSource drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object gate = new();
    private int active;
    private bool releasing;
    private DateTime lastUse = DateTime.UtcNow;

    internal ActiveWriterLock(FileLocks file, ulong handle, ulong epochId)
    {
        this.file = file;
        Handle = handle;
        EpochId = epochId;
    }

    public Fid Fid => file.Fid;

    /// <summary>The MDS's lock handle (replaced by LockReplay after an MDS restart).</summary>
    public ulong Handle { get; internal set; }

    public ulong EpochId { get; }

    /// <summary>The file's current layout (the grant's, or newer after a LAYOUT re-enqueue; the epoch spans layout changes, §2.2.7.2).</summary>
    public FileLayout Layout => file.Layout ?? throw new InvalidOperationException($"{Fid}: no layout cached");

    /// <summary>Set once release started; new operations wait for the release and enqueue a fresh lock.</summary>
    public bool IsReleasing
    {
        get { lock (gate) { return releasing; } }
    }

    /// <summary>Lost with an eviction: it cannot be cancelled; its errors die with it (the MDS stales the secondaries, §2.4.3).</summary>
    public bool Lost { get; private set; }

    /// <summary>Set once the MDS accepted the LockCancel with this lock's error report (it persisted the mask, §2.2.3).</summary>
    public bool ReportDelivered { get; internal set; }

    internal Task? Release { get; private set; }

    internal Task Drained => drained.Task;

    public bool HasErrors
    {
        get { lock (gate) { return errors.Count != 0; } }
    }

    public int Active
    {
        get { lock (gate) { return active; } }
    }

    internal DateTime LastUse
    {
        get { lock (gate) { return lastUse; } }
    }

    public bool TryEnter()
    {
        lock (gate)
        {
            if (releasing)
            {
                return false;
            }

            active++;
            return true;
        }
    }

    public void Exit()
    {
        lock (gate)
        {
            active--;
            lastUse = DateTime.UtcNow;
            if (active == 0 && releasing)
            {
                drained.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Stops new operations (<see cref="Drained"/> completes when the running ones exit) and starts
    /// <paramref name="release"/> once; later callers get the same task.
    /// </summary>
    internal Task StartRelease(Func<Task> release, bool lost = false)
    {
        lock (gate)
        {
            if (Release is { } running)
            {
                return running;
            }

            Lost = lost;
            releasing = true;
            if (active == 0)
            {
                drained.TrySetResult();
            }

            Release = release();
            return Release;
        }
    }

    /// <summary>Records what one fanned-out modification did: OSTs written (with their commit watermarks) and failed mirrors.</summary>
    public void Record(ImmediateResult result, Func<int, Targets.IOstTarget> targetOf)
    {
        lock (gate)
        {
            foreach (var (ost, mirrors) in result.MirrorsByOst)
            {
                if (!written.TryGetValue(ost, out var entry))
                {
                    written[ost] = entry = (new CommitMarks(), []);
                }

                entry.Marks.Add(targetOf(ost));
                entry.Mirrors.UnionWith(mirrors);
            }
        }

        foreach (var failure in result.Secondaries.Append(result.Primary).OfType<ImmediateFailure>())
        {
            RecordError(failure.Mirror, failure.Stripes);
        }
    }

    public void RecordError(LayoutMirror mirror, IEnumerable<int> stripes)
    {
        lock (gate)
        {
            if (!errors.TryGetValue(mirror.Id, out var entry))
            {
                errors[mirror.Id] = entry = (MirrorStripes.Count(mirror), []);
            }

            entry.Stripes.UnionWith(stripes);
        }
    }

    /// <summary>Every OST written in the epoch with what must be committed there, and the mirrors that wrote it.</summary>
    internal IReadOnlyList<(int Ost, CommitMarks Marks, ushort[] Mirrors)> Written()
    {
        lock (gate)
        {
            return written.Select(w => (w.Key, w.Value.Marks, w.Value.Mirrors.ToArray())).ToArray();
        }
    }

    /// <summary>
    /// The cancel LVB (IWM §3.1 v2): bit = the mirror's POSITION in <paramref name="layout"/>'s mirror list.
    /// A mirror no longer in the layout (split away) cannot be reported and is left out.
    /// </summary>
    public LockValueBlock BuildReport(FileLayout layout)
    {
        var report = new LockValueBlock();
        lock (gate)
        {
            foreach (var (id, (count, stripes)) in errors)
            {
                var position = layout.Mirrors.ToList().FindIndex(m => m.Id == id);
                if (position < 0)
                {
                    continue;
                }

                if (stripes.Count == 0)
                {
                    report.Add(position, count);
                }

                foreach (var s in stripes)
                {
                    report.Add(position, count, s);
                }
            }
        }

        return report;
    }
}
