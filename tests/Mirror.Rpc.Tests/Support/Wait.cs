namespace Mirror.Rpc.Tests.Support;

/// <summary>Waiting on a condition with a deadline, never a bare sleep (STYLE rule 8).</summary>
public static class Wait
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    public static Task<T> For<T>(TaskCompletionSource<T> source) => source.Task.WaitAsync(Limit);

    public static Task<T> For<T>(Task<T> task) => task.WaitAsync(Limit);

    public static Task For(Task task) => task.WaitAsync(Limit);
}
