using Broker.Protocol.Coordinator;

namespace Broker.Actors.Group.Consumer;

/// <summary>Builds the consumer-group records (Kafka's GroupCoordinatorRecordHelpers for the consumer protocol).</summary>
public static class ConsumerGroupRecords
{
    public static CoordinatorRecord GroupEpoch(string groupId, int epoch) =>
        new(3, new ConsumerGroupMetadataKey { GroupId = groupId }, new ConsumerGroupMetadataValue { Epoch = epoch });

    public static CoordinatorRecord GroupEpochTombstone(string groupId) =>
        new(3, new ConsumerGroupMetadataKey { GroupId = groupId }, null);

    public static CoordinatorRecord SubscriptionMetadata(string groupId, IReadOnlyDictionary<string, TopicMetadata> metadata)
    {
        var value = new ConsumerGroupPartitionMetadataValue();
        foreach (var t in metadata.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            value.Topics.Add(new ConsumerGroupPartitionMetadataValue.TopicMetadata { TopicId = t.Id, TopicName = t.Name, NumPartitions = t.NumPartitions });
        }
        return new(4, new ConsumerGroupPartitionMetadataKey { GroupId = groupId }, value);
    }

    public static CoordinatorRecord SubscriptionMetadataTombstone(string groupId) =>
        new(4, new ConsumerGroupPartitionMetadataKey { GroupId = groupId }, null);

    public static CoordinatorRecord MemberSubscription(string groupId, ConsumerGroupMember member) =>
        new(5, new ConsumerGroupMemberMetadataKey { GroupId = groupId, MemberId = member.MemberId }, new ConsumerGroupMemberMetadataValue
        {
            InstanceId = member.InstanceId,
            RackId = member.RackId,
            ClientId = member.ClientId,
            ClientHost = member.ClientHost,
            SubscribedTopicNames = member.SubscribedTopicNames.ToList(),
            SubscribedTopicRegex = null,
            RebalanceTimeoutMs = member.RebalanceTimeoutMs,
            ServerAssignor = member.ServerAssignor,
            ClassicMemberMetadata = null,
        });

    public static CoordinatorRecord MemberSubscriptionTombstone(string groupId, string memberId) =>
        new(5, new ConsumerGroupMemberMetadataKey { GroupId = groupId, MemberId = memberId }, null);

    public static CoordinatorRecord TargetAssignmentEpoch(string groupId, int epoch) =>
        new(6, new ConsumerGroupTargetAssignmentMetadataKey { GroupId = groupId }, new ConsumerGroupTargetAssignmentMetadataValue { AssignmentEpoch = epoch });

    public static CoordinatorRecord TargetAssignmentEpochTombstone(string groupId) =>
        new(6, new ConsumerGroupTargetAssignmentMetadataKey { GroupId = groupId }, null);

    public static CoordinatorRecord TargetAssignment(string groupId, string memberId, Assignment assignment)
    {
        var value = new ConsumerGroupTargetAssignmentMemberValue();
        foreach (var (topicId, partitions) in assignment.Partitions)
        {
            value.TopicPartitions.Add(new ConsumerGroupTargetAssignmentMemberValue.TopicPartition { TopicId = topicId, Partitions = partitions.ToList() });
        }
        return new(7, new ConsumerGroupTargetAssignmentMemberKey { GroupId = groupId, MemberId = memberId }, value);
    }

    public static CoordinatorRecord TargetAssignmentTombstone(string groupId, string memberId) =>
        new(7, new ConsumerGroupTargetAssignmentMemberKey { GroupId = groupId, MemberId = memberId }, null);

    public static CoordinatorRecord CurrentAssignment(string groupId, ConsumerGroupMember member) =>
        new(8, new ConsumerGroupCurrentMemberAssignmentKey { GroupId = groupId, MemberId = member.MemberId }, new ConsumerGroupCurrentMemberAssignmentValue
        {
            MemberEpoch = member.MemberEpoch,
            PreviousMemberEpoch = member.PreviousMemberEpoch,
            State = (sbyte)member.State,
            AssignedPartitions = ToList(member.AssignedPartitions),
            PartitionsPendingRevocation = ToList(member.PartitionsPendingRevocation),
        });

    public static CoordinatorRecord CurrentAssignmentTombstone(string groupId, string memberId) =>
        new(8, new ConsumerGroupCurrentMemberAssignmentKey { GroupId = groupId, MemberId = memberId }, null);

    private static List<ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions> ToList(Assignment assignment) =>
        assignment.Partitions.Select(p => new ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions { TopicId = p.Key, Partitions = p.Value.ToList() }).ToList();
}
