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

    public uint Generation => Layout.Generation;

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
