namespace Mirror.Cluster.Tests.Harness;

/// <summary>Waiting on a condition with a deadline, never a fixed sleep (STYLE rule 8).</summary>
public static class Wait
{
    private static readonly TimeSpan PollDelay = TimeSpan.FromMilliseconds(50);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"waited {timeout.TotalSeconds:0}s for {what}");
            }

            await Task.Delay(PollDelay);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what);
}
