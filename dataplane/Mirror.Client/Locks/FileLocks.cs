using Mirror.Core;
using Mirror.Core.Layouts;

namespace Mirror.Client.Locks;

/// <summary>
/// This client's locks on one file (one lock resource per FID, IWM §2.2): the LAYOUT CR lock that makes
/// the cached layout valid, and the AW CW lock of the write epoch. <see cref="Gate"/> serialises
/// enqueues for the file (LAYOUT first, then AW, §2.2.7); it is never held while waiting for a release.
/// </summary>
public sealed class FileLocks(Fid fid)
{
    public Fid Fid { get; } = fid;

    internal SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The newest layout seen (LAYOUT grant or AW grant); valid for new IO only while <see cref="LayoutHandle"/> != 0.</summary>
    public FileLayout? Layout { get; internal set; }

    /// <summary>The LAYOUT CR lock handle; 0 = not held (the callback dropped it: restart from the layout lock, §2.2.7.2).</summary>
    public ulong LayoutHandle { get; internal set; }

    public ActiveWriterLock? ActiveWriter { get; internal set; }

    /// <summary>Keeps <paramref name="layout"/> if it is newer than the cached one.</summary>
    internal void Adopt(FileLayout layout)
    {
        if (Layout is null || layout.Generation >= Layout.Generation)
        {
            Layout = layout;
        }
    }
}
