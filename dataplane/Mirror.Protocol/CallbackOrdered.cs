namespace Mirror.Protocol;

/// <summary>
/// An MDS reply that carries the caller's callback sequence (mds.proto LockCallback.callback_seq): the
/// client completes it only after handling the callbacks the MDS queued to it before the reply.
/// </summary>
public interface ICallbackOrdered
{
    ulong CallbackSeq { get; set; }
}

/// <summary>LockCancel's reply.</summary>
public sealed partial class Empty : ICallbackOrdered;
