using Broker.Protocol.Messages;

namespace Broker.Actors.Group.Consumer;

/// <summary>ConsumerGroupHeartbeat: validation, join and rejoin, subscription changes, target assignment, reconciliation.</summary>
public sealed partial class ConsumerGroupCoordinator
{
    public CoordinatorResult<ConsumerGroupHeartbeatResponse> Heartbeat(
        ConsumerGroupHeartbeatRequest request, string clientId, string clientHost, long nowMs, IConsumerGroupTopics topics)
    {
        try
        {
            Validate(request);
            var result = request.MemberEpoch is ConsumerGroupMember.LeaveGroupMemberEpoch or ConsumerGroupMember.LeaveGroupStaticMemberEpoch
                ? Leave(request.GroupId, request.InstanceId, request.MemberId, request.MemberEpoch, topics)
                : RegularHeartbeat(request, clientId, clientHost, nowMs, topics);
            return result;
        }
        catch (ConsumerGroupException ex)
        {
            return new(new ConsumerGroupHeartbeatResponse { ErrorCode = (short)ex.Error, ErrorMessage = ex.Message }, []);
        }
    }

    private void Validate(ConsumerGroupHeartbeatRequest request)
    {
        ThrowIfEmpty(request.GroupId, "GroupId can't be empty.");
        ThrowIfEmpty(request.InstanceId, "InstanceId can't be empty.");
        ThrowIfEmpty(request.RackId, "RackId can't be empty.");
        if (request.MemberEpoch > 0 || request.MemberEpoch == ConsumerGroupMember.LeaveGroupMemberEpoch)
        {
            ThrowIfEmpty(request.MemberId, "MemberId can't be empty.");
        }
        else if (request.MemberEpoch == 0)
        {
            if (request.RebalanceTimeoutMs == -1)
            {
                throw Invalid("RebalanceTimeoutMs must be provided in first request.");
            }
            if (request.TopicPartitions is null || request.TopicPartitions.Count != 0)
            {
                throw Invalid("TopicPartitions must be empty when (re-)joining.");
            }
            if (request.SubscribedTopicNames is null || request.SubscribedTopicNames.Count == 0)
            {
                throw Invalid("SubscribedTopicNames must be set in first request.");
            }
        }
        else if (request.MemberEpoch == ConsumerGroupMember.LeaveGroupStaticMemberEpoch)
        {
            ThrowIfEmpty(request.MemberId, "MemberId can't be empty.");
            if (request.InstanceId is null)
            {
                throw Invalid("InstanceId can't be null.");
            }
        }
        else
        {
            throw Invalid("MemberEpoch is invalid.");
        }
        if (request.SubscribedTopicRegex is not null)
        {
            throw Invalid("SubscribedTopicRegex is not supported.");
        }
        if (request.ServerAssignor is { } assignor && Assignor(assignor) is null)
        {
            throw new ConsumerGroupException(ErrorCode.UnsupportedAssignor,
                $"ServerAssignor {assignor} is not supported. Supported assignors: {string.Join(", ", _config.Assignors.Select(a => a.Name))}.");
        }

        static void ThrowIfEmpty(string? value, string message)
        {
            // Kafka treats a string of blanks as empty too; null means "not sent".
            if (value is not null && string.IsNullOrWhiteSpace(value))
            {
                throw Invalid(message);
            }
        }
    }

    private static ConsumerGroupException Invalid(string message) => new(ErrorCode.InvalidRequest, message);

    private CoordinatorResult<ConsumerGroupHeartbeatResponse> RegularHeartbeat(
        ConsumerGroupHeartbeatRequest request, string clientId, string clientHost, long nowMs, IConsumerGroupTopics topics)
    {
        var records = new List<CoordinatorRecord>();
        var groupId = request.GroupId;
        var memberEpoch = request.MemberEpoch;
        var joining = memberEpoch == 0;
        var group = GetOrMaybeCreateGroup(groupId, joining);
        if (group.Members.Count >= _config.MaxSize && (request.MemberId.Length == 0 || group.Member(request.MemberId) is null))
        {
            throw new ConsumerGroupException(ErrorCode.GroupMaxSizeReached,
                $"The consumer group has reached its maximum capacity of {_config.MaxSize} members.");
        }
        var memberId = request.MemberId.Length == 0 ? _newMemberId() : request.MemberId;
        var owned = request.TopicPartitions is null
            ? null
            : Assignment.From(request.TopicPartitions.Select(tp => (tp.TopicId, (IEnumerable<int>)tp.Partitions)));

        // "member" is the member as the group knows it (or a blank one); "replaced" an incarnation this join supersedes.
        ConsumerGroupMember member;
        ConsumerGroupMember start;
        ConsumerGroupMember? replaced = null;
        if (request.InstanceId is not { } instanceId)
        {
            var existing = group.Member(memberId);
            if (existing is not null && joining && existing.MemberEpoch != 0)
            {
                // The member lost its epoch (fenced on its side) and rejoins with its id and nothing owned: start it over.
                replaced = existing;
                member = existing;
                start = new ConsumerGroupMember { MemberId = memberId };
            }
            else
            {
                member = existing ?? (joining ? new ConsumerGroupMember { MemberId = memberId } : throw new ConsumerGroupException(
                    ErrorCode.UnknownMemberId, $"Member {memberId} is not a member of group {groupId}."));
                ThrowIfMemberEpochIsInvalid(member, memberEpoch, owned);
                start = member;
            }
        }
        else
        {
            var existing = group.StaticMember(instanceId);
            if (joining)
            {
                if (existing is null)
                {
                    member = group.Member(memberId) ?? new ConsumerGroupMember { MemberId = memberId };
                    start = member;
                }
                else
                {
                    // A restarted static member takes over only once the previous incarnation left with epoch -2.
                    if (existing.MemberEpoch != ConsumerGroupMember.LeaveGroupStaticMemberEpoch)
                    {
                        throw new ConsumerGroupException(ErrorCode.UnreleasedInstanceId,
                            $"Static member {memberId} with instance id {instanceId} cannot join the group because the instance id is owned by {existing.MemberId} member.");
                    }
                    replaced = existing;
                    member = existing;
                    start = new ConsumerGroupMember { MemberId = memberId, AssignedPartitions = existing.AssignedPartitions };
                }
            }
            else
            {
                if (existing is null)
                {
                    throw new ConsumerGroupException(ErrorCode.UnknownMemberId, $"Instance id {instanceId} is unknown.");
                }
                if (existing.MemberId != memberId)
                {
                    throw new ConsumerGroupException(ErrorCode.FencedInstanceId,
                        $"Static member {memberId} with instance id {instanceId} was fenced by member {existing.MemberId}.");
                }
                ThrowIfMemberEpochIsInvalid(existing, memberEpoch, owned);
                member = existing;
                start = existing;
            }
        }
        if (replaced is not null)
        {
            records.AddRange(RemoveMemberRecords(groupId, replaced.MemberId));
        }

        // 1. The member's subscription; a change (or new topic metadata) bumps the group epoch.
        var updated = start with
        {
            InstanceId = request.InstanceId ?? start.InstanceId,
            RackId = request.RackId ?? start.RackId,
            RebalanceTimeoutMs = request.RebalanceTimeoutMs != -1 ? request.RebalanceTimeoutMs : start.RebalanceTimeoutMs,
            ServerAssignor = request.ServerAssignor ?? start.ServerAssignor,
            SubscribedTopicNames = request.SubscribedTopicNames is { } names ? ConsumerGroupMember.Normalize(names) : start.SubscribedTopicNames,
            ClientId = clientId,
            ClientHost = clientHost,
        };
        var bumpGroupEpoch = false;
        if (!updated.SameMetadata(member) || replaced is not null)
        {
            records.Add(ConsumerGroupRecords.MemberSubscription(groupId, updated));
            bumpGroupEpoch = !updated.SubscribedTopicNames.SequenceEqual(member.SubscribedTopicNames, StringComparer.Ordinal);
        }
        if (replaced is not null && request.InstanceId is null)
        {
            // A dynamic member's new incarnation is a membership change, like a leave and a join.
            bumpGroupEpoch = true;
        }
        var groupEpoch = group.GroupEpoch;
        var subscriptionMetadata = group.SubscriptionMetadata;
        var metadataRefreshed = false;
        if (bumpGroupEpoch || group.MetadataVersion != topics.Version)
        {
            subscriptionMetadata = ConsumerGroup.ComputeSubscriptionMetadata(group.SubscribedTopicNames(member, updated), topics);
            if (!ConsumerGroup.SameSubscriptionMetadata(subscriptionMetadata, group.SubscriptionMetadata))
            {
                bumpGroupEpoch = true;
                records.Add(ConsumerGroupRecords.SubscriptionMetadata(groupId, subscriptionMetadata));
            }
            if (bumpGroupEpoch)
            {
                groupEpoch++;
                records.Add(ConsumerGroupRecords.GroupEpoch(groupId, groupEpoch));
            }
            metadataRefreshed = true;
        }

        // 2. A newer group epoch (or a static member taking over) means a new target assignment.
        var targetEpoch = group.AssignmentEpoch;
        var target = group.TargetAssignmentOf(memberId);
        if (groupEpoch > targetEpoch || replaced is not null)
        {
            var assignor = Assignor(group.PreferredServerAssignor(DefaultAssignor, member, updated)) ?? _config.Assignors[0];
            var targets = TargetAssignmentBuilder.Build(group, groupEpoch, assignor, subscriptionMetadata, updated, replaced, records);
            target = targets[memberId];
            targetEpoch = groupEpoch;
        }

        // 3. Move the member toward its target; partitions another member still owns wait.
        Func<Guid, int, int> partitionEpoch = replaced is null
            ? group.CurrentPartitionEpoch
            : (t, p) => replaced.AssignedPartitions.Contains(t, p) || replaced.PartitionsPendingRevocation.Contains(t, p) ? -1 : group.CurrentPartitionEpoch(t, p);
        var reconciled = updated.IsReconciledTo(targetEpoch)
            ? updated
            : CurrentAssignmentBuilder.Build(updated, targetEpoch, target, partitionEpoch, owned);
        if (!reconciled.SameAssignmentState(updated) || replaced is not null)
        {
            records.Add(ConsumerGroupRecords.CurrentAssignment(groupId, reconciled));
        }

        Apply(records);
        // Deferred records (the shard applies them once appended) leave the version to the next heartbeat: an append that
        // fails must not leave the group believing its subscription metadata is current.
        if (metadataRefreshed && (AppliesOwnRecords || records.Count == 0) && _groups.TryGetValue(groupId, out var stored))
        {
            stored.MetadataVersion = topics.Version;
        }
        if (replaced is not null)
        {
            CancelTimers(groupId, replaced.MemberId);
        }
        if (!reconciled.SameAssignmentState(updated) || replaced is not null)
        {
            if (reconciled.State == MemberState.UnrevokedPartitions)
            {
                ScheduleRebalanceTimeout(groupId, memberId, reconciled.MemberEpoch, reconciled.RebalanceTimeoutMs, nowMs);
            }
            else
            {
                _timers.CancelRebalance(groupId, memberId);
            }
        }
        ScheduleSessionTimeout(groupId, memberId, nowMs);

        var response = new ConsumerGroupHeartbeatResponse
        {
            MemberId = reconciled.MemberId,
            MemberEpoch = reconciled.MemberEpoch,
            HeartbeatIntervalMs = _config.HeartbeatIntervalMs,
        };
        // The assignment goes out when the member sent its partitions, (re)joined, or when it changed.
        if (request.TopicPartitions is not null || joining || !member.AssignedPartitions.Equals(reconciled.AssignedPartitions))
        {
            response.Assignment = ResponseAssignment(reconciled.AssignedPartitions);
        }
        return new(response, records);
    }

    private static ConsumerGroupHeartbeatResponse.AssignmentData ResponseAssignment(Assignment assignment)
    {
        var data = new ConsumerGroupHeartbeatResponse.AssignmentData();
        foreach (var (topicId, partitions) in assignment.Partitions)
        {
            data.TopicPartitions.Add(new ConsumerGroupHeartbeatResponse.TopicPartitions { TopicId = topicId, Partitions = partitions.ToList() });
        }
        return data;
    }

    /// <summary>An epoch ahead of ours, or behind it unless it is the previous epoch with no unexpected partitions (a lost response), is fenced.</summary>
    private static void ThrowIfMemberEpochIsInvalid(ConsumerGroupMember member, int received, Assignment? owned)
    {
        if (received > member.MemberEpoch)
        {
            throw new ConsumerGroupException(ErrorCode.FencedMemberEpoch,
                $"The consumer group member has a greater member epoch ({received}) than the one known by the group coordinator ({member.MemberEpoch}). The member must abandon all its partitions and rejoin.");
        }
        if (received < member.MemberEpoch && (received != member.PreviousMemberEpoch || !IsSubset(owned, member.AssignedPartitions)))
        {
            throw new ConsumerGroupException(ErrorCode.FencedMemberEpoch,
                $"The consumer group member has a smaller member epoch ({received}) than the one known by the group coordinator ({member.MemberEpoch}). The member must abandon all its partitions and rejoin.");
        }
    }

    private static bool IsSubset(Assignment? owned, Assignment assigned) =>
        owned is not null && owned.All().All(tp => assigned.Contains(tp.TopicId, tp.Partition));

    private ConsumerGroup GetOrMaybeCreateGroup(string groupId, bool createIfNotExists)
    {
        if (_groups.TryGetValue(groupId, out var group))
        {
            return group;
        }
        if (_classicGroupInUse(groupId))
        {
            throw new ConsumerGroupException(ErrorCode.GroupIdNotFound, $"Group {groupId} is not a consumer group.");
        }
        if (!createIfNotExists)
        {
            throw new ConsumerGroupException(ErrorCode.GroupIdNotFound, $"Consumer group {groupId} not found.");
        }
        // Not stored: the group comes to life when its first records are replayed.
        return new ConsumerGroup(groupId);
    }

    private CoordinatorResult<ConsumerGroupHeartbeatResponse> Leave(string groupId, string? instanceId, string memberId, int memberEpoch, IConsumerGroupTopics topics)
    {
        var group = GroupOrThrow(groupId);
        List<CoordinatorRecord> records;
        if (instanceId is null)
        {
            records = FenceMember(group, MemberOrThrow(group, memberId), topics);
        }
        else
        {
            var member = group.StaticMember(instanceId) ?? throw new ConsumerGroupException(ErrorCode.UnknownMemberId, $"Instance id {instanceId} is unknown.");
            if (member.MemberId != memberId)
            {
                throw new ConsumerGroupException(ErrorCode.FencedInstanceId,
                    $"Static member {memberId} with instance id {instanceId} was fenced by member {member.MemberId}.");
            }
            records = memberEpoch == ConsumerGroupMember.LeaveGroupStaticMemberEpoch
                // A static member that will be back keeps its partitions (at epoch -2) until its session expires.
                ? [ConsumerGroupRecords.CurrentAssignment(groupId, member with
                {
                    MemberEpoch = ConsumerGroupMember.LeaveGroupStaticMemberEpoch,
                    PartitionsPendingRevocation = Assignment.Empty,
                })]
                : FenceMember(group, member, topics);
        }
        Apply(records);
        return new(new ConsumerGroupHeartbeatResponse { MemberId = memberId, MemberEpoch = memberEpoch }, records);
    }

    /// <summary>Removes a member (leave, session or rebalance timeout) and bumps the group epoch so the others get its partitions.</summary>
    private List<CoordinatorRecord> FenceMember(ConsumerGroup group, ConsumerGroupMember member, IConsumerGroupTopics topics)
    {
        var records = RemoveMemberRecords(group.GroupId, member.MemberId);
        var metadata = ConsumerGroup.ComputeSubscriptionMetadata(group.SubscribedTopicNames(member, null), topics);
        if (!ConsumerGroup.SameSubscriptionMetadata(metadata, group.SubscriptionMetadata))
        {
            records.Add(ConsumerGroupRecords.SubscriptionMetadata(group.GroupId, metadata));
        }
        records.Add(ConsumerGroupRecords.GroupEpoch(group.GroupId, group.GroupEpoch + 1));
        CancelTimers(group.GroupId, member.MemberId);
        return records;
    }

    /// <summary>The tombstones of a member, in Kafka's order: current assignment, target assignment, subscription.</summary>
    private static List<CoordinatorRecord> RemoveMemberRecords(string groupId, string memberId) =>
    [
        ConsumerGroupRecords.CurrentAssignmentTombstone(groupId, memberId),
        ConsumerGroupRecords.TargetAssignmentTombstone(groupId, memberId),
        ConsumerGroupRecords.MemberSubscriptionTombstone(groupId, memberId),
    ];
}
