using Broker.Protocol.Coordinator;

namespace Broker.Actors.Group.Consumer;

/// <summary>
/// Applying records: the only way group state changes, whether the record was just produced by a heartbeat
/// or read back from __consumer_offsets when the partition loads (Kafka's GroupMetadataManager.replay).
/// </summary>
public sealed partial class ConsumerGroupCoordinator
{
    public void Replay(CoordinatorRecord record)
    {
        switch (record.Key)
        {
            case ConsumerGroupMetadataKey key:
                if (record.Value is ConsumerGroupMetadataValue epoch)
                {
                    PersistedGroup(key.GroupId).GroupEpoch = epoch.Epoch;
                }
                else if (_groups.Remove(key.GroupId))
                {
                    CancelGroupTimers(key.GroupId);
                }
                break;
            case ConsumerGroupPartitionMetadataKey key:
                if (record.Value is ConsumerGroupPartitionMetadataValue metadata)
                {
                    PersistedGroup(key.GroupId).SubscriptionMetadata = metadata.Topics.ToDictionary(
                        t => t.TopicName, t => new TopicMetadata(t.TopicId, t.TopicName, t.NumPartitions), StringComparer.Ordinal);
                }
                else if (_groups.TryGetValue(key.GroupId, out var g))
                {
                    g.SubscriptionMetadata = new Dictionary<string, TopicMetadata>();
                }
                break;
            case ConsumerGroupMemberMetadataKey key:
                if (record.Value is ConsumerGroupMemberMetadataValue m)
                {
                    var group = PersistedGroup(key.GroupId);
                    var old = group.Member(key.MemberId) ?? new ConsumerGroupMember { MemberId = key.MemberId };
                    group.UpdateMember(old with
                    {
                        InstanceId = m.InstanceId,
                        RackId = m.RackId,
                        ClientId = m.ClientId,
                        ClientHost = m.ClientHost,
                        SubscribedTopicNames = ConsumerGroupMember.Normalize(m.SubscribedTopicNames),
                        RebalanceTimeoutMs = m.RebalanceTimeoutMs,
                        ServerAssignor = m.ServerAssignor,
                    });
                }
                else if (_groups.TryGetValue(key.GroupId, out var g))
                {
                    g.RemoveMember(key.MemberId);
                }
                break;
            case ConsumerGroupTargetAssignmentMetadataKey key:
                if (record.Value is ConsumerGroupTargetAssignmentMetadataValue target)
                {
                    PersistedGroup(key.GroupId).AssignmentEpoch = target.AssignmentEpoch;
                }
                break;
            case ConsumerGroupTargetAssignmentMemberKey key:
                if (record.Value is ConsumerGroupTargetAssignmentMemberValue assignment)
                {
                    PersistedGroup(key.GroupId).SetTargetAssignment(key.MemberId,
                        Assignment.From(assignment.TopicPartitions.Select(tp => (tp.TopicId, (IEnumerable<int>)tp.Partitions))));
                }
                else if (_groups.TryGetValue(key.GroupId, out var g))
                {
                    g.RemoveTargetAssignment(key.MemberId);
                }
                break;
            case ConsumerGroupCurrentMemberAssignmentKey key:
                ReplayCurrentAssignment(key, record.Value as ConsumerGroupCurrentMemberAssignmentValue);
                break;
        }
    }

    private void ReplayCurrentAssignment(ConsumerGroupCurrentMemberAssignmentKey key, ConsumerGroupCurrentMemberAssignmentValue? value)
    {
        if (value is null)
        {
            // A member on its way out: it owns nothing any more, so its partitions are free for the others.
            if (_groups.TryGetValue(key.GroupId, out var g) && g.Member(key.MemberId) is { } leaving)
            {
                g.UpdateMember(leaving with
                {
                    MemberEpoch = ConsumerGroupMember.LeaveGroupMemberEpoch,
                    PreviousMemberEpoch = ConsumerGroupMember.LeaveGroupMemberEpoch,
                    State = MemberState.Stable,
                    AssignedPartitions = Assignment.Empty,
                    PartitionsPendingRevocation = Assignment.Empty,
                });
            }
            return;
        }
        var group = PersistedGroup(key.GroupId);
        var member = group.Member(key.MemberId) ?? new ConsumerGroupMember { MemberId = key.MemberId };
        var state = Enum.IsDefined((MemberState)value.State) ? (MemberState)value.State : MemberState.Unknown;
        group.UpdateMember(member with
        {
            MemberEpoch = value.MemberEpoch,
            PreviousMemberEpoch = value.PreviousMemberEpoch,
            State = state,
            AssignedPartitions = Assignment.From(value.AssignedPartitions.Select(tp => (tp.TopicId, (IEnumerable<int>)tp.Partitions))),
            PartitionsPendingRevocation = Assignment.From(value.PartitionsPendingRevocation.Select(tp => (tp.TopicId, (IEnumerable<int>)tp.Partitions))),
        });
    }

    private ConsumerGroup PersistedGroup(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            group = new ConsumerGroup(groupId);
            _groups[groupId] = group;
        }
        return group;
    }

    /// <summary>After a load, every member's session starts now, and members still revoking get their rebalance timeout again.</summary>
    public void OnLoaded(long nowMs)
    {
        foreach (var groupId in _groups.Keys)
        {
            RestartTimers(groupId, nowMs);
        }
    }

    /// <summary>The records a call produced, applied now unless the caller applies them once they are appended.</summary>
    private void Apply(List<CoordinatorRecord> records)
    {
        if (!AppliesOwnRecords)
        {
            return;
        }
        foreach (var r in records)
        {
            Replay(r);
        }
    }
}
