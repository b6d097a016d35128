namespace Broker.Actors.Group;

/// <summary>Rebuilding committed offsets from __consumer_offsets, and what a tombstone must name.</summary>
public sealed partial class GroupCoordinator
{
    /// <summary>One replayed offset record: a value sets the offset (latest wins), null (a tombstone) removes it.</summary>
    public void LoadOffset(string groupId, string topic, int partition, CommittedOffset? offset)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(groupId, out var group))
            {
                if (offset is null)
                {
                    return;
                }
                group = new ClassicGroup(groupId);
                _groups[groupId] = group;
            }
            if (offset is { } o)
            {
                group.Offsets[(topic, partition)] = o;
            }
            else
            {
                group.Offsets.Remove((topic, partition));
            }
        }
    }

    /// <summary>The partitions a group holds offsets for (DeleteGroups writes a tombstone for each).</summary>
    public List<(string Topic, int Partition)> OffsetPartitions(string groupId)
    {
        lock (_lock)
        {
            return _groups.TryGetValue(groupId, out var group) ? group.Offsets.Keys.ToList() : [];
        }
    }
}
