using System.Buffers;
using Microsoft.Extensions.Logging;

namespace Mirror.Fuse.Kernel;

/// <summary>How a session ended.</summary>
internal enum SessionEnd
{
    /// <summary>We unmounted (SIGTERM, dispose).</summary>
    Unmounted,

    /// <summary>The kernel dropped the connection without us asking (fusectl abort, umount by someone else).</summary>
    Lost,

    /// <summary>A reader failed with an unexpected error.</summary>
    Failed,
}

/// <summary>
/// The session loop: <see cref="FuseSessionOptions.Readers"/> threads block in read(2) on the same /dev/fuse
/// descriptor; each request is handed to the bridge, whose async handler runs on the thread pool, so slow
/// requests (a read from an OST) never hold up others. INIT is negotiated here (fuse.h "INIT request/reply
/// flags"); ENODEV from read(2) ends the session.
/// </summary>
internal sealed partial class FuseSession
{
    /// <summary>The protocol this code speaks: linux/fuse.h 7.38; the kernel answers with min(ours, its own).</summary>
    public const uint KernelMajor = 7;
    public const uint KernelMinor = 38;

    /// <summary>7.31 brought max_pages/FUSE_MAX_PAGES and the 1 MiB writes we rely on.</summary>
    public const uint MinMinor = 31;

    private readonly FuseChannel channel;
    private readonly IFuseOperations operations;
    private readonly FuseSessionOptions options;
    private readonly ILogger logger;
    private readonly TaskCompletionSource initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<SessionEnd> ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Thread> readers = [];
    private int running;
    private int inflight;
    private volatile bool unmounting;
    private volatile bool failed;

    public FuseSession(FuseChannel channel, IFuseOperations operations, FuseSessionOptions options, ILogger logger)
    {
        this.channel = channel;
        this.operations = operations;
        this.options = options;
        this.logger = logger;
    }

    /// <summary>Completes once INIT was answered: from then on the mount serves requests.</summary>
    public Task Initialized => initialized.Task;

    /// <summary>Completes when every reader has stopped and the bridge has closed its handles.</summary>
    public Task<SessionEnd> Ended => ended.Task;

    /// <summary>The negotiated protocol minor version (0 until INIT).</summary>
    public uint Minor { get; private set; }

    public uint MaxWrite { get; private set; }

    /// <summary>Requests per opcode, sizes and times (also the "Mirror.Fuse" meter); logged when the session ends.</summary>
    public FuseStats Stats { get; } = new();

    public void Start()
    {
        running = options.Readers;
        for (var i = 0; i < options.Readers; i++)
        {
            var thread = new Thread(ReadLoop) { IsBackground = true, Name = $"fuse-reader-{i}" };
            readers.Add(thread);
            thread.Start();
        }
    }

    /// <summary>Marks the end that follows as ours (an unmount), not a lost session.</summary>
    public void MarkUnmounting() => unmounting = true;

    private void ReadLoop()
    {
        var scratch = ArrayPool<byte>.Shared.Rent(channel.BufferSize);
        try
        {
            while (true)
            {
                var request = channel.Read(ref scratch);
                if (request is null)
                {
                    break;
                }

                Dispatch(request);
            }
        }
        catch (Exception e)
        {
            failed = true;
            LogReaderFailed(logger, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
            if (Interlocked.Decrement(ref running) == 0)
            {
                _ = FinishAsync();
            }
        }
    }

    private void Dispatch(FuseRequest request)
    {
        switch (request.Opcode)
        {
            case FuseOpcode.Init:
                using (request)
                {
                    HandleInit(request);
                }

                return;
            case FuseOpcode.Destroy:
                using (request)
                {
                    // DESTROY comes with any umount; only MarkUnmounting says it was ours.
                    channel.ReplyEmpty(request.Unique);
                }

                return;
            case FuseOpcode.Interrupt:
                // Interrupts are optional (fuse.h): requests here finish in bounded time (RPC deadlines).
                request.Dispose();
                return;
        }

        Interlocked.Increment(ref inflight);
        _ = RunAsync(request);
    }

    private async Task RunAsync(FuseRequest request)
    {
        var op = request.Opcode;
        var size = request.DataSize();
        var started = Stats.Begin();
        try
        {
            await operations.HandleAsync(request, channel).ConfigureAwait(false);
        }
        finally
        {
            Stats.End(op, size, started);
            request.Dispose();
            Interlocked.Decrement(ref inflight);
        }
    }

    private void HandleInit(FuseRequest request)
    {
        var init = request.Read<FuseInitIn>();
        if (init.Major != KernelMajor || init.Minor < MinMinor)
        {
            LogInitRefused(logger, init.Major, init.Minor);
            channel.ReplyError(request.Unique, Native.EINVAL);
            initialized.TrySetException(new IOException($"kernel FUSE protocol {init.Major}.{init.Minor} is older than 7.{MinMinor}"));
            return;
        }

        var kernelFlags = init.Flags | ((ulong)init.Flags2 << 32);
        // Writeback cache stays off: the kernel would own size and mtime and flush dirty pages after close,
        // past the point where IWM reports write errors (close/fsync) and across mounts' close-to-open.
        // No AUTO_INVAL_DATA: with it (and attribute timeout 0) the kernel sends a GETATTR, an MDS round trip,
        // before every read(2) (fs/fuse/file.c fuse_cache_read_iter). Close-to-open needs none of that: every
        // open drops cached pages (no FOPEN_KEEP_CACHE) and a read past the cached size still asks for the size.
        var wanted = FuseFlags.AsyncRead | FuseFlags.BigWrites | FuseFlags.ParallelDirops | FuseFlags.MaxPages
            | FuseFlags.AsyncDio | FuseFlags.AbortError | FuseFlags.CacheSymlinks | FuseFlags.InitExt
            | (options.Readdirplus ? FuseFlags.DoReaddirplus | FuseFlags.ReaddirplusAuto : 0);
        var flags = kernelFlags & wanted;
        Minor = Math.Min(KernelMinor, init.Minor);
        var maxPages = (ushort)Math.Min(options.MaxWrite / 4096, ushort.MaxValue);
        MaxWrite = (flags & FuseFlags.MaxPages) != 0 ? (uint)options.MaxWrite : Math.Min((uint)options.MaxWrite, 32 * 4096);
        var reply = new FuseInitOut
        {
            Major = KernelMajor,
            Minor = Minor,
            // KernelMount raised the mount's bdi readahead already; the kernel keeps min(that, this).
            MaxReadahead = (uint)Math.Max(options.MaxReadahead, (int)init.MaxReadahead),
            Flags = (uint)flags,
            Flags2 = (uint)(flags >> 32),
            MaxBackground = 64,
            CongestionThreshold = 48,
            MaxWrite = MaxWrite,
            TimeGran = 1,
            MaxPages = maxPages,
        };
        channel.Reply(request.Unique, in reply);
        LogInit(logger, init.Major, init.Minor, Minor, MaxWrite, $"0x{flags:x}");
        initialized.TrySetResult();
    }

    private async Task FinishAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Volatile.Read(ref inflight) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        try
        {
            await operations.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogShutdownFailed(logger, e);
        }

        LogStats(logger, Stats.Summary());
        var end = failed ? SessionEnd.Failed : unmounting ? SessionEnd.Unmounted : SessionEnd.Lost;
        if (end == SessionEnd.Lost)
        {
            LogSessionLost(logger, channel.EndErrno == Native.ECONNABORTED ? "ECONNABORTED: the connection was aborted" : "ENODEV: unmounted by someone else");
        }

        initialized.TrySetException(new IOException("the FUSE session ended before INIT"));
        ended.TrySetResult(end);
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "FUSE INIT: kernel {Major}.{KernelMinor}, speaking 7.{Minor}, max_write {MaxWrite}, flags {Flags}")]
    private static partial void LogInit(ILogger logger, uint major, uint kernelMinor, uint minor, uint maxWrite, string flags);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "FUSE INIT refused: kernel protocol {Major}.{Minor} is too old")]
    private static partial void LogInitRefused(ILogger logger, uint major, uint minor);

    [LoggerMessage(EventId = 103, Level = LogLevel.Critical, Message = "FUSE reader failed")]
    private static partial void LogReaderFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 104, Level = LogLevel.Critical, Message = "session lost: the kernel closed the FUSE connection without an unmount by this process (/dev/fuse read: {Reason})")]
    private static partial void LogSessionLost(ILogger logger, string reason);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "FUSE requests this session: {Summary}")]
    private static partial void LogStats(ILogger logger, string summary);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "closing open handles after the session ended failed")]
    private static partial void LogShutdownFailed(ILogger logger, Exception exception);
}

/// <summary>Session tuning.</summary>
internal sealed record FuseSessionOptions
{
    /// <summary>Reader threads on the descriptor (concurrent requests beyond this run on the thread pool anyway).</summary>
    public int Readers { get; init; } = 4;

    /// <summary>max_write: 1 MiB = 256 pages, the kernel's default max_pages limit.</summary>
    public int MaxWrite { get; init; } = 1 << 20;

    public bool Readdirplus { get; init; } = true;

    /// <summary>Readahead window: 4 MiB = four 1 MiB READs in flight ahead of a sequential reader.</summary>
    public const int DefaultMaxReadahead = 4 << 20;

    /// <summary>max_readahead in the INIT reply (and the bdi readahead <see cref="KernelMount.Mount"/> sets).</summary>
    public int MaxReadahead { get; init; } = DefaultMaxReadahead;
}
