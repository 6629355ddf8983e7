using System.Globalization;
using Mirror.Ost.Host;

namespace Mirror.Ost.Tests;

/// <summary>
/// The test assembly's entry point, used only as a real OST process by the crash tests:
/// <c>dotnet Mirror.Ost.Tests.dll ost-child DATADIR INDEX TOKEN</c> starts an OstHost with a one-hour
/// commit interval (so writes stay uncommitted until a Sync), prints <c>address=HOST:PORT</c> and
/// serves until it is killed or its stdin closes.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["ost-child", var dataDir, var index, var token])
        {
            return 0;
        }

        await using var host = await OstHost.StartAsync(
            new OstHostOptions
            {
                Index = int.Parse(index, CultureInfo.InvariantCulture),
                DataDir = dataDir,
                Token = token,
                MetricsPort = null,
                CommitInterval = TimeSpan.FromHours(1),
            },
            CancellationToken.None);
        Console.Out.WriteLine($"address={host.Address}");
        Console.Out.Flush();
        await Console.In.ReadToEndAsync();
        return 0;
    }
}
