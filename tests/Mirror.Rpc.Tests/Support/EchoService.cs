using Google.Protobuf;
using Mirror.Core.Errors;
using Mirror.Rpc.Tests.Proto;

namespace Mirror.Rpc.Tests.Support;

/// <summary>
/// The test service: each method drives one path of the server (success, each failure kind,
/// cancellation, streaming). <see cref="Probe"/> lets a test wait for what the handler saw.
/// </summary>
public sealed class EchoService
{
    private int written;

    public const string Name = "mirror.rpc.test.Echo";
    public const string Echo = "/mirror.rpc.test.Echo/Echo";
    public const string Fail = "/mirror.rpc.test.Echo/Fail";
    public const string FailStatus = "/mirror.rpc.test.Echo/FailStatus";
    public const string Crash = "/mirror.rpc.test.Echo/Crash";
    public const string WaitForCancel = "/mirror.rpc.test.Echo/WaitForCancel";
    public const string Metadata = "/mirror.rpc.test.Echo/Metadata";
    public const string Stream = "/mirror.rpc.test.Echo/Stream";
    public const string StreamThenFail = "/mirror.rpc.test.Echo/StreamThenFail";
    public const string StreamForever = "/mirror.rpc.test.Echo/StreamForever";
    public const string StreamUntilBlocked = "/mirror.rpc.test.Echo/StreamUntilBlocked";

    /// <summary>Completes when a waiting handler has started.</summary>
    public TaskCompletionSource<ServerCallContext> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a waiting handler's token fired.</summary>
    public TaskCompletionSource<ServerCallContext> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Messages StreamUntilBlocked has written so far.</summary>
    public int Written => Volatile.Read(ref written);

    /// <summary>Completes when StreamUntilBlocked wrote every message it was asked for.</summary>
    public TaskCompletionSource WroteAll { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RpcServiceBuilder Build() => new RpcServiceBuilder(Name)
        .Unary<EchoRequest, EchoReply>("Echo", (request, _) => Task.FromResult(new EchoReply { Text = request.Text, Payload = request.Payload }))
        .Unary<EchoRequest, EchoReply>("Fail", (request, _) => throw new MirrorException((Errno)request.Errno, request.Text))
        .Unary<EchoRequest, EchoReply>("FailStatus", (request, _) => throw new RpcException((StatusCode)request.Count, request.Text))
        .Unary<EchoRequest, EchoReply>("Crash", (request, _) => throw new InvalidOperationException(request.Text))
        .Unary<EchoRequest, EchoReply>("WaitForCancel", WaitAsync)
        .Unary<EchoRequest, EchoReply>("Metadata", (request, context) => Task.FromResult(new EchoReply
        {
            Text = context.RequestHeaders.TryGetValue(request.Text, out var value) ? value : "<none>",
            Index = context.Deadline is null ? 0 : 1,
        }))
        .ServerStreaming<EchoRequest, EchoReply>("Stream", async (request, writer, _) =>
        {
            for (var i = 0; i < request.Count; i++)
            {
                await writer.WriteAsync(new EchoReply { Text = request.Text, Index = i, Payload = request.Payload });
            }
        })
        .ServerStreaming<EchoRequest, EchoReply>("StreamThenFail", async (request, writer, _) =>
        {
            for (var i = 0; i < request.Count; i++)
            {
                await writer.WriteAsync(new EchoReply { Index = i });
            }

            throw new MirrorException((Errno)request.Errno, request.Text);
        })
        .ServerStreaming<EchoRequest, EchoReply>("StreamUntilBlocked", async (request, writer, context) =>
        {
            for (var i = 0; i < request.Count; i++)
            {
                await writer.WriteAsync(new EchoReply { Index = i, Payload = request.Payload });
                Interlocked.Increment(ref written);
            }

            WroteAll.TrySetResult();
        })
        .ServerStreaming<EchoRequest, EchoReply>("StreamForever", async (request, writer, context) =>
        {
            Started.TrySetResult(context);
            try
            {
                for (var i = 0; ; i++)
                {
                    await writer.WriteAsync(new EchoReply { Index = i });
                }
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                Cancelled.TrySetResult(context);
                throw;
            }
            catch (Exception) when (context.CancellationToken.IsCancellationRequested)
            {
                Cancelled.TrySetResult(context);
                throw;
            }
        });

    public static EchoRequest Request(string text = "", int count = 0, Errno errno = Errno.OK, byte[]? payload = null) => new()
    {
        Text = text,
        Count = count,
        Errno = (int)errno,
        Payload = payload is null ? ByteString.Empty : ByteString.CopyFrom(payload),
    };

    private async Task<EchoReply> WaitAsync(EchoRequest request, ServerCallContext context)
    {
        Started.TrySetResult(context);
        try
        {
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            Cancelled.TrySetResult(context);
            throw;
        }

        return new EchoReply();
    }
}
