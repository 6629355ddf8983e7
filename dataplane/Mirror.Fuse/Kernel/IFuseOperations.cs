namespace Mirror.Fuse.Kernel;

/// <summary>
/// What the session hands every request but INIT, DESTROY and INTERRUPT to (the bridge). The handler replies
/// through the channel exactly once (never for FORGET and BATCH_FORGET) and must not throw.
/// </summary>
internal interface IFuseOperations
{
    Task HandleAsync(FuseRequest request, FuseChannel channel);

    /// <summary>The connection ended (unmount or abort): close what is still open.</summary>
    Task ShutdownAsync();
}
