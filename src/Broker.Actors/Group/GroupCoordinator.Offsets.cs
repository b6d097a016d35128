using Broker.Protocol.Messages;

namespace Broker.Actors.Group;

/// <summary>OffsetCommit / OffsetFetch / OffsetDelete: the generation and member checks of Kafka's coordinator.</summary>
public sealed partial class GroupCoordinator
{
    /// <summary>The error every partition of a commit gets before looking at the partitions themselves.</summary>
    public ErrorCode ValidateCommit(string groupId, int generationId, string memberId, string? instanceId)
    {
        lock (_lock)
        {
            if (string.IsNullOrEmpty(groupId))
            {
                return ErrorCode.InvalidGroupId;
            }
            if (!_groups.TryGetValue(groupId, out var group))
            {
                // Without group management (generation -1) a commit creates an empty group to hold the offsets.
                return generationId < 0 ? ErrorCode.None : ErrorCode.IllegalGeneration;
            }
            if (group.State == GroupState.Dead)
            {
                return ErrorCode.CoordinatorNotAvailable;
            }
            if (IsFenced(group, instanceId, memberId))
            {
                return ErrorCode.FencedInstanceId;
            }
            if (generationId < 0 && group.State == GroupState.Empty)
            {
                return ErrorCode.None;
            }
            if (!group.Members.TryGetValue(memberId, out var member))
            {
                return ErrorCode.UnknownMemberId;
            }
            if (generationId != group.GenerationId)
            {
                return ErrorCode.IllegalGeneration;
            }
            // As Kafka: member and generation first, so a commit of an older generation is ILLEGAL_GENERATION
            // even while the group completes its rebalance; a current member then hears REBALANCE_IN_PROGRESS.
            if (group.State == GroupState.CompletingRebalance)
            {
                return ErrorCode.RebalanceInProgress;
            }
            member.LastHeartbeatMs = Now;
            return ErrorCode.None;
        }
    }

    public void StoreOffsets(string groupId, IEnumerable<(string Topic, int Partition, CommittedOffset Offset)> offsets)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(groupId, out var group))
            {
                group = new ClassicGroup(groupId);
                _groups[groupId] = group;
            }
            foreach (var (topic, partition, offset) in offsets)
            {
                group.Offsets[(topic, partition)] = offset;
            }
        }
    }

    /// <summary>Committed offsets of a group: the requested partitions, or all when <paramref name="topics"/> is null.</summary>
    public List<(string Topic, int Partition, CommittedOffset? Offset)> FetchOffsets(string groupId, IEnumerable<(string Topic, IEnumerable<int> Partitions)>? topics)
    {
        var result = new List<(string, int, CommittedOffset?)>();
        lock (_lock)
        {
            _groups.TryGetValue(groupId, out var group);
            if (topics is null)
            {
                if (group is not null)
                {
                    foreach (var ((topic, partition), offset) in group.Offsets.OrderBy(o => o.Key.Topic, StringComparer.Ordinal).ThenBy(o => o.Key.Partition))
                    {
                        result.Add((topic, partition, offset));
                    }
                }
                return result;
            }
            foreach (var (topic, partitions) in topics)
            {
                foreach (var partition in partitions)
                {
                    CommittedOffset? offset = group is not null && group.Offsets.TryGetValue((topic, partition), out var o) ? o : null;
                    result.Add((topic, partition, offset));
                }
            }
        }
        return result;
    }

    /// <summary>OffsetDelete: a partition still consumed by a live member of the group cannot lose its offset.</summary>
    public (ErrorCode Error, List<(string Topic, int Partition, ErrorCode Error)> Partitions) DeleteOffsets(
        string groupId, IEnumerable<(string Topic, int Partition)> partitions, Func<ReadOnlyMemory<byte>, IReadOnlySet<string>> subscribedTopics)
    {
        var results = new List<(string, int, ErrorCode)>();
        lock (_lock)
        {
            if (string.IsNullOrEmpty(groupId))
            {
                return (ErrorCode.InvalidGroupId, results);
            }
            if (!_groups.TryGetValue(groupId, out var group) || group.State == GroupState.Dead)
            {
                return (ErrorCode.GroupIdNotFound, results);
            }
            var subscribed = new HashSet<string>(StringComparer.Ordinal);
            if (group.State != GroupState.Empty && group.ProtocolType == "consumer" && group.ProtocolName is not null)
            {
                foreach (var m in group.Members.Values)
                {
                    subscribed.UnionWith(subscribedTopics(m.MetadataFor(group.ProtocolName)));
                }
            }
            foreach (var (topic, partition) in partitions)
            {
                if (subscribed.Contains(topic))
                {
                    results.Add((topic, partition, ErrorCode.GroupSubscribedToTopic));
                    continue;
                }
                group.Offsets.Remove((topic, partition));
                results.Add((topic, partition, ErrorCode.None));
            }
        }
        return (ErrorCode.None, results);
    }
}
