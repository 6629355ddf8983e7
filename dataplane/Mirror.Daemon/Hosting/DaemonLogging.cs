using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Mirror.Daemon.Options;

namespace Mirror.Daemon.Hosting;

/// <summary>
/// Logs go to stderr only (stdout stays free, and the launcher sends both to one log file): one line per
/// event with its scopes (<c>--log-format text</c>) or one JSON object per line (<c>--log-format json</c>).
/// </summary>
internal static class DaemonLogging
{
    public static ILoggerFactory Create(string? format, string? level)
    {
        var minimum = LogLevel.Information;
        if (level is not null && !Enum.TryParse(level, ignoreCase: true, out minimum))
        {
            throw new UsageException($"--log-level '{level}' is not one of Trace, Debug, Information, Warning, Error");
        }

        var json = (format ?? "text") switch
        {
            "text" => false,
            "json" => true,
            _ => throw new UsageException($"--log-format '{format}' is not text or json"),
        };

        return LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(minimum);
            // Kestrel's "Request starting/finished" pair is Information: two lines per RPC, about 8% of the MDS's
            // CPU (its console logger thread, perf) and 300k lines per 3000 creates. Shown from Debug on.
            builder.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", minimum <= LogLevel.Debug ? minimum : LogLevel.Warning);
            builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            if (json)
            {
                builder.AddJsonConsole(o =>
                {
                    o.IncludeScopes = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    o.UseUtcTimestamp = true;
                });
            }
            else
            {
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.IncludeScopes = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                    o.UseUtcTimestamp = true;
                    o.ColorBehavior = LoggerColorBehavior.Disabled;
                });
            }
        });
    }
}
