using Broker.Protocol.Messages;

namespace Broker.Actors.Group.Consumer;

/// <summary>ConsumerGroupDescribe, ListGroups entries, DeleteGroups, and the member-epoch checks of OffsetCommit / OffsetFetch.</summary>
public sealed partial class ConsumerGroupCoordinator
{
    public ConsumerGroupDescribeResponse.DescribedGroup Describe(string groupId, IConsumerGroupTopics topics)
    {
        if (string.IsNullOrEmpty(groupId))
        {
            return new() { GroupId = groupId, ErrorCode = (short)ErrorCode.InvalidGroupId };
        }
        if (!_groups.TryGetValue(groupId, out var group))
        {
            var message = _classicGroupInUse(groupId) ? $"Group {groupId} is not a consumer group." : $"Group {groupId} not found.";
            return new() { GroupId = groupId, ErrorCode = (short)ErrorCode.GroupIdNotFound, ErrorMessage = message };
        }
        var described = new ConsumerGroupDescribeResponse.DescribedGroup
        {
            GroupId = groupId,
            GroupState = ConsumerGroup.StateNameOf(group.State),
            GroupEpoch = group.GroupEpoch,
            AssignmentEpoch = group.AssignmentEpoch,
            AssignorName = group.PreferredServerAssignor(DefaultAssignor),
        };
        foreach (var m in group.Members.Values.OrderBy(m => m.MemberId, StringComparer.Ordinal))
        {
            described.Members.Add(new ConsumerGroupDescribeResponse.Member
            {
                MemberId = m.MemberId,
                InstanceId = m.InstanceId,
                RackId = m.RackId,
                MemberEpoch = m.MemberEpoch,
                ClientId = m.ClientId,
                ClientHost = m.ClientHost,
                SubscribedTopicNames = m.SubscribedTopicNames.ToList(),
                SubscribedTopicRegex = null,
                Assignment = DescribeAssignment(m.AssignedPartitions, topics),
                TargetAssignment = DescribeAssignment(group.TargetAssignmentOf(m.MemberId), topics),
            });
        }
        return described;
    }

    private static ConsumerGroupDescribeResponse.Assignment DescribeAssignment(Assignment assignment, IConsumerGroupTopics topics)
    {
        var result = new ConsumerGroupDescribeResponse.Assignment();
        foreach (var (topicId, partitions) in assignment.Partitions)
        {
            // A deleted topic has no name any more; Kafka leaves it out.
            if (topics.ById(topicId) is { } t)
            {
                result.TopicPartitions.Add(new ConsumerGroupDescribeResponse.TopicPartitions { TopicId = topicId, TopicName = t.Name, Partitions = partitions.ToList() });
            }
        }
        return result;
    }

    /// <summary>ListGroups rows of the consumer groups: id and state name (protocol type "consumer", group type "consumer").</summary>
    public IEnumerable<(string GroupId, string State)> List() =>
        _groups.Values.Select(g => (g.GroupId, ConsumerGroup.StateNameOf(g.State)));

    /// <summary>
    /// OffsetCommit against a consumer group: admin commits (epoch &lt; 0) only while it is empty, otherwise the member
    /// and its current epoch. Null when the group is not a consumer group (the classic checks apply).
    /// </summary>
    public ErrorCode? ValidateOffsetCommit(string groupId, string memberId, int memberEpoch, short apiVersion)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return null;
        }
        if (memberEpoch < 0 && group.Members.Count == 0)
        {
            return ErrorCode.None;
        }
        var member = group.Member(memberId);
        if (member is null)
        {
            return ErrorCode.UnknownMemberId;
        }
        if (memberEpoch != member.MemberEpoch)
        {
            // Older clients cannot understand STALE_MEMBER_EPOCH.
            return apiVersion >= 9 ? ErrorCode.StaleMemberEpoch : ErrorCode.UnsupportedVersion;
        }
        return ErrorCode.None;
    }

    /// <summary>OffsetFetch v9+ against a consumer group: no member (admin) is fine, a member must be at its current epoch.</summary>
    public ErrorCode? ValidateOffsetFetch(string groupId, string? memberId, int memberEpoch)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return null;
        }
        if (memberId is null && memberEpoch < 0)
        {
            return ErrorCode.None;
        }
        var member = memberId is null ? null : group.Member(memberId);
        if (member is null)
        {
            return ErrorCode.UnknownMemberId;
        }
        return memberEpoch == member.MemberEpoch ? ErrorCode.None : ErrorCode.StaleMemberEpoch;
    }

    /// <summary>DeleteGroups of a consumer group: only an empty one; its tombstones (applied unless deferred). Null when not a consumer group.</summary>
    public CoordinatorResult<ErrorCode>? DeleteGroup(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return null;
        }
        if (group.Members.Count > 0)
        {
            return new(ErrorCode.NonEmptyGroup, []);
        }
        List<CoordinatorRecord> records =
        [
            ConsumerGroupRecords.TargetAssignmentEpochTombstone(groupId),
            ConsumerGroupRecords.SubscriptionMetadataTombstone(groupId),
            ConsumerGroupRecords.GroupEpochTombstone(groupId),
        ];
        Apply(records);
        return new(ErrorCode.None, records);
    }
}
