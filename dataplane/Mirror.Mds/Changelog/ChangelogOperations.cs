using System.Globalization;
using Mirror.Core.Errors;
using Mirror.Mds.Store;

namespace Mirror.Mds.Changelog;

/// <summary>
/// Changelog consumers (Lustre changelog_register / changelog_clear). Records are written by the operations
/// that change metadata, in the same transaction (<see cref="Mutation.Log"/>); reads come from SQLite, so a
/// reader only ever sees records of committed changes.
/// </summary>
public sealed class ChangelogOperations(MdsModel model)
{
    /// <summary>Registers <paramref name="name"/> (idempotent: the same name gets the same consumer back).</summary>
    public Task<ChangelogConsumer> RegisterAsync(string name) => model.MutateAsync(m =>
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 128)
        {
            throw new MirrorException(Errno.EINVAL, $"changelog consumer name '{name}' must be 1..128 characters");
        }

        var existing = model.Consumers.Values.FirstOrDefault(c => c.Name == name);
        if (existing is not null)
        {
            return existing;
        }

        // A new consumer starts at the current end, as Lustre's changelog users do: older records are not its.
        var consumer = new ChangelogConsumer("cl" + (++model.LastConsumerNumber).ToString(CultureInfo.InvariantCulture), name, model.LastChangelogIndex);
        m.SaveConsumer(consumer);
        return consumer;
    });

    public (IReadOnlyList<ChangelogEntry> Records, ulong LastIndex) Read(ulong afterIndex, int maxRecords)
    {
        var last = model.Read(() => model.LastChangelogIndex);
        var max = maxRecords <= 0 ? 1000 : Math.Min(maxRecords, 10000);
        return (model.Database.ReadChangelog(afterIndex, max), last);
    }

    /// <summary>Marks records up to <paramref name="upToIndex"/> (0 = all so far) processed; purges what every consumer cleared.</summary>
    public Task ClearAsync(string consumerId, ulong upToIndex) => model.MutateAsync(m =>
    {
        if (!model.Consumers.TryGetValue(consumerId, out var consumer))
        {
            throw new MirrorException(Errno.ENOENT, $"no changelog consumer '{consumerId}'");
        }

        if (upToIndex > model.LastChangelogIndex)
        {
            throw new MirrorException(Errno.EINVAL, $"changelog index {upToIndex} is beyond the last record {model.LastChangelogIndex}");
        }

        var target = upToIndex == 0 ? model.LastChangelogIndex : upToIndex;
        if (target <= consumer.ClearedIndex)
        {
            return false;
        }

        var before = MinCleared();
        m.SaveConsumer(consumer with { ClearedIndex = target });
        var after = MinCleared();
        if (after > before)
        {
            m.PurgeChangelog(after);
        }

        return true;
    });

    /// <summary>Records not yet cleared by the slowest consumer (0 without consumers).</summary>
    public ulong Backlog() => model.Read(() => model.Consumers.Count == 0 ? 0 : model.LastChangelogIndex - MinCleared());

    private ulong MinCleared() => model.Consumers.Count == 0 ? 0 : model.Consumers.Values.Min(c => c.ClearedIndex);
}
