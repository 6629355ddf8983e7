namespace Mirror.Cli.Local;

/// <summary>`mirrorctl local up|down|status|start|stop`: a whole cluster of real processes on 127.0.0.1.</summary>
public static class LocalCommand
{
    /// <param name="args">The arguments after "local".</param>
    /// <returns>The process exit code.</returns>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) =>
        throw new NotImplementedException();
}
