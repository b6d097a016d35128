using System.Collections.Concurrent;

namespace Broker.Actors.Group;

/// <summary>
/// Which classic groups are in use (have members or are rebalancing), readable from any thread. The
/// shards update it as their groups change state; the KIP-848 coordinator asks it before it lets a
/// consumer-protocol member take a group id (Kafka refuses while a classic group of that id is live).
/// </summary>
public sealed class ClassicGroupDirectory
{
    private readonly ConcurrentDictionary<string, byte> _inUse = new(StringComparer.Ordinal);

    public bool IsInUse(string groupId) => _inUse.ContainsKey(groupId);

    internal void Update(ClassicGroup group)
    {
        if (group.State is GroupState.Empty or GroupState.Dead)
        {
            _inUse.TryRemove(group.GroupId, out _);
        }
        else
        {
            _inUse[group.GroupId] = 0;
        }
    }

    internal void Remove(string groupId) => _inUse.TryRemove(groupId, out _);
}
