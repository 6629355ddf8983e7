using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mirror.Mds.Changelog;
using Mirror.Mds.Layouts;
using Mirror.Mds.Namespace;
using Mirror.Mds.Recovery;
using Mirror.Mds.Store;

namespace Mirror.Mds.Host;

/// <summary>How the MDS core is opened (no network: tests use it directly).</summary>
public sealed class MdsCoreOptions
{
    public required string DataDir { get; init; }

    /// <summary>An OST not heard from for this long is down for placement (3 heartbeats of 2 s).</summary>
    public TimeSpan OstDownAfter { get; init; } = TimeSpan.FromSeconds(6);

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>How orphan objects are destroyed; null = OstMethods.Destroy over RpcChannel with <see cref="Token"/>.</summary>
    public DestroyObject? DestroyObject { get; init; }

    public string? Token { get; init; }

    public TimeSpan OrphanRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Called after each group commit with (mutations in the batch, seconds); metrics hook.</summary>
    public Action<int, double>? OnCommitBatch { get; init; }
}

/// <summary>
/// The MDS without its network: the store, the model loaded from it, and the layers over it, wired in
/// ARCHITECTURE §2 order (Namespace → Layouts → Changelog, over Store; Recovery at start).
/// </summary>
public sealed class MdsCore : IAsyncDisposable
{
    private readonly DataDirLock dirLock;
    private readonly OstObjectDestroyer? ostDestroyer;

    private MdsCore(DataDirLock dirLock, MdsModel model, MdsCoreOptions options)
    {
        this.dirLock = dirLock;
        Model = model;
        Registry = new OstRegistry(model, options.OstDownAfter);
        Tree = new NamespaceTree(model);
        Layouts = new LayoutOperations(model, Tree, new LayoutBuilder(model, Registry));
        Namespace = new NamespaceOperations(model, Tree, Layouts);
        Changelog = new ChangelogOperations(model);
        ostDestroyer = options.DestroyObject is null ? new OstObjectDestroyer(options.Token) : null;
        Destroyer = new OrphanDestroyer(model, Registry, options.DestroyObject ?? ostDestroyer!.DestroyAsync,
            options.LoggerFactory.CreateLogger<OrphanDestroyer>(), options.OrphanRetryDelay);
    }

    public MdsModel Model { get; }

    public OstRegistry Registry { get; }

    public NamespaceTree Tree { get; }

    public NamespaceOperations Namespace { get; }

    public LayoutOperations Layouts { get; }

    public ChangelogOperations Changelog { get; }

    public OrphanDestroyer Destroyer { get; }

    /// <summary>New at every start: clients detect an MDS restart by it.</summary>
    public string BootId { get; } = Guid.NewGuid().ToString("N");

    public static async Task<MdsCore> OpenAsync(MdsCoreOptions options)
    {
        Directory.CreateDirectory(options.DataDir);
        var dirLock = DataDirLock.Acquire(options.DataDir);
        try
        {
            var database = new MdsDatabase(Path.Combine(options.DataDir, "mds.sqlite"));
            var model = await ModelLoader.LoadAsync(database, options.Clock, options.LoggerFactory.CreateLogger("Mirror.Mds.Store"), options.OnCommitBatch)
                .ConfigureAwait(false);
            return new MdsCore(dirLock, model, options);
        }
        catch
        {
            dirLock.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Destroyer.DisposeAsync().ConfigureAwait(false);
        ostDestroyer?.Dispose();
        Model.Dispose();
        dirLock.Dispose();
    }
}
