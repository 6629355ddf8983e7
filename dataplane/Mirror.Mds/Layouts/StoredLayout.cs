using Mirror.Core;
using Mirror.Core.Layouts;

namespace Mirror.Mds.Layouts;

/// <summary>
/// Names the OST objects of one component: stripes are objects (Fid, ComponentId, stripe index) on the OSTs.
/// Usually the file's own fid and the component's own id; a mirror taken from a victim file (extend -f),
/// split off into a new file, or swapped in from a donor keeps the objects it was written to.
/// </summary>
public readonly record struct ObjectRef(Fid Fid, uint ComponentId);

/// <summary>
/// The layout the MDS stores for a regular file: the <see cref="FileLayout"/> clients see plus the owner of
/// every component's objects. Only components whose objects are not (own fid, own id) appear in
/// <see cref="ForeignObjects"/>.
/// </summary>
public sealed record StoredLayout(FileLayout Layout, IReadOnlyDictionary<uint, ObjectRef> ForeignObjects)
{
    public static readonly IReadOnlyDictionary<uint, ObjectRef> None = new Dictionary<uint, ObjectRef>();

    public StoredLayout(FileLayout layout)
        : this(layout, None)
    {
    }

    private readonly ushort lastMirrorId;
    private readonly uint lastComponentId;

    public uint Generation => Layout.Generation;

    /// <summary>
    /// The highest mirror id the file ever had. Ids are never reused while the file lives (a split mirror's id
    /// names a file "NAME.mirror~ID"), so this survives the mirror's removal.
    /// </summary>
    public ushort LastMirrorId
    {
        get => Math.Max(lastMirrorId, Layout.Mirrors.Count == 0 ? (ushort)0 : Layout.Mirrors.Max(m => m.Id));
        init => lastMirrorId = value;
    }

    /// <summary>
    /// The highest component id the file ever had. Objects are named (fid, component id, stripe), and objects of
    /// a removed component may live on (split to another file) or still be awaiting destruction, so a new
    /// component must never get an old id.
    /// </summary>
    public uint LastComponentId
    {
        get => Math.Max(lastComponentId, Layout.Mirrors.SelectMany(m => m.Components).Select(c => c.Id).DefaultIfEmpty(0u).Max());
        init => lastComponentId = value;
    }

    public ushort NextMirrorId() => checked((ushort)(LastMirrorId + 1));

    public uint NextComponentId() => checked(LastComponentId + 1);

    /// <summary>A successor layout of the same file: new mirrors and object owners, id high-water marks kept.</summary>
    public StoredLayout Successor(FileLayout next, Fid owner, IEnumerable<KeyValuePair<uint, ObjectRef>> objects) =>
        new(next, Normalize(owner, objects, next)) { LastMirrorId = LastMirrorId, LastComponentId = LastComponentId };

    /// <summary>Whose objects the component's stripes are.</summary>
    public ObjectRef ObjectsOf(Fid owner, uint componentId) =>
        ForeignObjects.TryGetValue(componentId, out var r) ? r : new ObjectRef(owner, componentId);

    /// <summary>Every stripe object of the given mirrors (all mirrors when null): (object, stripe index, OST index).</summary>
    public IEnumerable<(ObjectRef Object, int Stripe, int Ost)> Objects(Fid owner, IEnumerable<LayoutMirror>? mirrors = null)
    {
        foreach (var mirror in mirrors ?? Layout.Mirrors)
        {
            foreach (var component in mirror.Components)
            {
                var obj = ObjectsOf(owner, component.Id);
                for (var stripe = 0; stripe < component.Osts.Count; stripe++)
                {
                    yield return (obj, stripe, component.Osts[stripe]);
                }
            }
        }
    }

    /// <summary>The explicit object owners of the given mirrors' components, as absolute refs keyed by component id.</summary>
    public Dictionary<uint, ObjectRef> ResolvedObjects(Fid owner, IEnumerable<LayoutMirror> mirrors) =>
        mirrors.SelectMany(m => m.Components).ToDictionary(c => c.Id, c => ObjectsOf(owner, c.Id));

    /// <summary>Drops entries that name the owner's own objects, so the map stays minimal.</summary>
    public static IReadOnlyDictionary<uint, ObjectRef> Normalize(Fid owner, IEnumerable<KeyValuePair<uint, ObjectRef>> refs, FileLayout layout)
    {
        var ids = layout.Mirrors.SelectMany(m => m.Components).Select(c => c.Id).ToHashSet();
        var result = new Dictionary<uint, ObjectRef>();
        foreach (var (componentId, r) in refs)
        {
            if (ids.Contains(componentId) && r != new ObjectRef(owner, componentId))
            {
                result[componentId] = r;
            }
        }

        return result;
    }
}
