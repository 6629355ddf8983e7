using System.Collections.Concurrent;
using System.Diagnostics;
using Mirror.Core.Errors;

namespace Mirror.Core.Faults;

/// <summary>What a switched-on fault point does when the code path reaches it.</summary>
public enum FaultAction
{
    None = 0,

    /// <summary>The operation fails with EIO.</summary>
    Fail,

    /// <summary>The operation waits <c>DelayMs</c> first.</summary>
    Delay,

    /// <summary>The process kills itself with SIGKILL at this point (crash after a durable step, say).</summary>
    Crash,

    /// <summary>The message is silently dropped (a lock callback that is never answered).</summary>
    Drop,
}

/// <summary>One armed fault: the action, its delay, and how many more hits trigger it (-1 = every hit).</summary>
public sealed record FaultSpec(FaultAction Action, int DelayMs = 0, int Remaining = -1);

/// <summary>
/// Named fault-injection points in the replication and recovery paths (STYLE rule 7). Tests switch them
/// on in real processes through the <c>MIRROR_FAULTS</c> environment variable
/// (<c>ost.write=fail,mds.epoch.close=crash@1,ost.read=delay:200</c>) or the SetFault RPC each daemon
/// serves. A point that is not armed costs one dictionary lookup on an empty dictionary.
/// </summary>
public static class FaultPoints
{
    public const string EnvironmentVariable = "MIRROR_FAULTS";

    private static readonly ConcurrentDictionary<string, FaultSpec> Armed = new(StringComparer.Ordinal);

    static FaultPoints()
    {
        var spec = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(spec))
        {
            foreach (var (name, fault) in ParseList(spec))
            {
                Armed[name] = fault;
            }
        }
    }

    public static void Set(string name, FaultSpec spec)
    {
        if (spec.Action == FaultAction.None)
        {
            Armed.TryRemove(name, out _);
        }
        else
        {
            Armed[name] = spec;
        }
    }

    public static void Clear(string name) => Armed.TryRemove(name, out _);

    public static void ClearAll() => Armed.Clear();

    public static IReadOnlyDictionary<string, FaultSpec> Snapshot() => new Dictionary<string, FaultSpec>(Armed);

    /// <summary>Consumes one hit of the point and returns what to do; <see cref="FaultAction.None"/> when not armed.</summary>
    public static FaultSpec Check(string name)
    {
        while (true)
        {
            if (Armed.IsEmpty || !Armed.TryGetValue(name, out var spec))
            {
                return new FaultSpec(FaultAction.None);
            }

            if (spec.Remaining < 0)
            {
                return spec;
            }

            var next = spec with { Remaining = spec.Remaining - 1 };
            var replaced = next.Remaining == 0 ? Armed.TryRemove(new KeyValuePair<string, FaultSpec>(name, spec)) : Armed.TryUpdate(name, next, spec);
            if (replaced)
            {
                return spec;
            }
        }
    }

    /// <summary>
    /// Applies the point: delays, throws <see cref="MirrorException"/> (EIO) for Fail, kills the process
    /// for Crash. Returns true when the caller must drop the message (Drop).
    /// </summary>
    public static async ValueTask<bool> HitAsync(string name, CancellationToken cancellationToken = default)
    {
        var spec = Check(name);
        switch (spec.Action)
        {
            case FaultAction.None:
                return false;
            case FaultAction.Delay:
                await Task.Delay(spec.DelayMs, cancellationToken).ConfigureAwait(false);
                return false;
            case FaultAction.Fail:
                throw new MirrorException(Errno.EIO, $"fault point {name}: injected failure");
            case FaultAction.Crash:
                CrashNow(name);
                return false;
            case FaultAction.Drop:
                return true;
            default:
                return false;
        }
    }

    /// <summary>Synchronous form of <see cref="HitAsync"/> for paths that cannot await.</summary>
    public static bool Hit(string name)
    {
        var spec = Check(name);
        switch (spec.Action)
        {
            case FaultAction.Delay:
                Thread.Sleep(spec.DelayMs);
                return false;
            case FaultAction.Fail:
                throw new MirrorException(Errno.EIO, $"fault point {name}: injected failure");
            case FaultAction.Crash:
                CrashNow(name);
                return false;
            case FaultAction.Drop:
                return true;
            default:
                return false;
        }
    }

    /// <summary>Parses <c>name=action[:delayMs][@count]</c>, comma separated.</summary>
    public static IEnumerable<(string Name, FaultSpec Spec)> ParseList(string text)
    {
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = item.IndexOf('=');
            if (eq <= 0)
            {
                throw new FormatException($"fault '{item}' is not name=action");
            }

            yield return (item[..eq], ParseSpec(item[(eq + 1)..]));
        }
    }

    public static FaultSpec ParseSpec(string text)
    {
        var count = -1;
        var at = text.IndexOf('@');
        if (at >= 0)
        {
            count = int.Parse(text[(at + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            text = text[..at];
        }

        var delay = 0;
        var colon = text.IndexOf(':');
        if (colon >= 0)
        {
            delay = int.Parse(text[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            text = text[..colon];
        }

        var action = text.ToLowerInvariant() switch
        {
            "fail" => FaultAction.Fail,
            "delay" => FaultAction.Delay,
            "crash" => FaultAction.Crash,
            "drop" => FaultAction.Drop,
            "off" or "none" => FaultAction.None,
            _ => throw new FormatException($"unknown fault action '{text}' (fail, delay:MS, crash, drop, off)"),
        };
        return new FaultSpec(action, delay, count);
    }

    private static void CrashNow(string name)
    {
        Console.Error.WriteLine($"fault point {name}: crashing (SIGKILL)");
        Console.Error.Flush();
        Process.GetCurrentProcess().Kill();
        Thread.Sleep(Timeout.Infinite);
    }
}
