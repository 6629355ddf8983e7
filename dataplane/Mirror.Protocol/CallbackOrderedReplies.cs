namespace Mirror.Protocol.Mds;

// The replies to the lock calls that name the client (mds.proto LockCallback.callback_seq).
public sealed partial class LockEnqueueReply : ICallbackOrdered;

public sealed partial class LayoutReply : ICallbackOrdered;

public sealed partial class PingReply : ICallbackOrdered;

public sealed partial class LockReplayReply : ICallbackOrdered;
