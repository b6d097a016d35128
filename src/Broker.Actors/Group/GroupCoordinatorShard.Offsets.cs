using Broker.Actors.Group.Consumer;
using Broker.Protocol.Messages;

namespace Broker.Actors.Group;

/// <summary>
/// OffsetCommit (generation and member checks, written before acknowledged), OffsetFetch, OffsetDelete
/// and offset retention as Kafka 2.1+ (KIP-211): offsets of an Empty group expire
/// offsets.retention.minutes after it became Empty; a group that never had members ages each offset
/// from its commit. Expired offsets are tombstoned, and an Empty group left without offsets is removed.
/// </summary>
public sealed partial class GroupCoordinatorShard
{
    private void HandleCommit(CommitOffsets commit)
    {
        var error = ValidateCommit(commit.GroupId, commit.GenerationId, commit.MemberId, commit.InstanceId, commit.ApiVersion);
        if (error != ErrorCode.None || commit.Offsets.Count == 0)
        {
            commit.Respond(error);
            return;
        }
        if (!_groups.ContainsKey(commit.GroupId))
        {
            // Without group management (generation -1) a commit creates an empty "simple" group to hold the offsets.
            var simple = NewClassicGroup(commit.GroupId);
            simple.TransitionTo(GroupState.Empty, NowMs);
            _groups[commit.GroupId] = simple;
        }
        var records = new List<(byte[], byte[]?)>(commit.Offsets.Count);
        foreach (var o in commit.Offsets)
        {
            records.Add((OffsetsTopicRecords.OffsetCommitKeyBytes(commit.GroupId, o.Topic, o.Partition), OffsetsTopicRecords.OffsetCommitValueBytes(o.Offset)));
        }
        // Applied only once in the log: an acknowledged commit survives a restart, a failed one is not seen.
        Write(records, written =>
        {
            if (written == ErrorCode.None && !_unloaded)
            {
                var offsets = OffsetsOf(commit.GroupId);
                foreach (var o in commit.Offsets)
                {
                    offsets[(o.Topic, o.Partition)] = o.Offset;
                }
            }
            commit.Respond(written);
        });
    }

    private Dictionary<(string Topic, int Partition), CommittedOffset> OffsetsOf(string groupId)
    {
        if (!_offsets.TryGetValue(groupId, out var offsets))
        {
            offsets = [];
            _offsets[groupId] = offsets;
        }
        return offsets;
    }

    /// <summary>The error every partition of a commit gets before looking at the partitions themselves.</summary>
    private ErrorCode ValidateCommit(string groupId, int generationId, string memberId, string? instanceId, short apiVersion)
    {
        if (string.IsNullOrEmpty(groupId))
        {
            return ErrorCode.InvalidGroupId;
        }
        if (!_groups.TryGetValue(groupId, out var g))
        {
            return generationId < 0 ? ErrorCode.None : ErrorCode.IllegalGeneration;
        }
        if (g is not ClassicGroup group)
        {
            // A KIP-848 group: the generation is the member epoch; admin commits (-1) only while it is empty.
            return _consumer.ValidateOffsetCommit(groupId, memberId, generationId, apiVersion) ?? ErrorCode.None;
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
        member.LastHeartbeatMs = NowMs;
        return ErrorCode.None;
    }

    /// <summary>
    /// Committed offsets of a group: the requested partitions (-1 when none), or all when no topics are
    /// named. require_stable (v7+) is accepted: without transactions no offset is ever pending.
    /// </summary>
    private void HandleFetch(FetchOffsets fetch)
    {
        if (string.IsNullOrEmpty(fetch.GroupId))
        {
            fetch.Respond(new FetchOffsetsResult(ErrorCode.InvalidGroupId, []));
            return;
        }
        if (_groups.GetValueOrDefault(fetch.GroupId) is Consumer.ConsumerGroup
            && _consumer.ValidateOffsetFetch(fetch.GroupId, fetch.MemberId, fetch.MemberEpoch) is { } memberError && memberError != ErrorCode.None)
        {
            fetch.Respond(new FetchOffsetsResult(memberError, []));
            return;
        }
        var result = new List<(string, int, CommittedOffset?)>();
        _offsets.TryGetValue(fetch.GroupId, out var offsets);
        if (fetch.Topics is null)
        {
            if (offsets is not null)
            {
                foreach (var ((topic, partition), offset) in offsets.OrderBy(o => o.Key.Topic, StringComparer.Ordinal).ThenBy(o => o.Key.Partition))
                {
                    result.Add((topic, partition, offset));
                }
            }
        }
        else
        {
            foreach (var (topic, partitions) in fetch.Topics)
            {
                foreach (var partition in partitions)
                {
                    CommittedOffset? offset = offsets is not null && offsets.TryGetValue((topic, partition), out var o) ? o : null;
                    result.Add((topic, partition, offset));
                }
            }
        }
        fetch.Respond(new FetchOffsetsResult(ErrorCode.None, result));
    }

    /// <summary>
    /// OffsetDelete as Kafka: an Empty group loses any offsets; a consumer-protocol group with members
    /// keeps those of topics its members subscribe to (GROUP_SUBSCRIBED_TO_TOPIC); any other group with
    /// members refuses (NON_EMPTY_GROUP). Tombstones are written before the answer.
    /// </summary>
    private void HandleDeleteOffsets(DeleteOffsets delete)
    {
        if (string.IsNullOrEmpty(delete.GroupId))
        {
            delete.Respond(new DeleteOffsetsResult(ErrorCode.InvalidGroupId, []));
            return;
        }
        if (!_groups.TryGetValue(delete.GroupId, out var group) || group.IsDead)
        {
            delete.Respond(new DeleteOffsetsResult(ErrorCode.GroupIdNotFound, []));
            return;
        }
        var consumerGroupWithMembers = !group.IsEmpty && group.ProtocolType == ConsumerProtocol.ProtocolType;
        if (!group.IsEmpty && !consumerGroupWithMembers)
        {
            delete.Respond(new DeleteOffsetsResult(ErrorCode.NonEmptyGroup, []));
            return;
        }
        _offsets.TryGetValue(delete.GroupId, out var offsets);
        var results = new List<(string, int, ErrorCode)>(delete.Partitions.Count);
        var tombstones = new List<(byte[], byte[]?)>();
        foreach (var (topic, partition) in delete.Partitions)
        {
            if (consumerGroupWithMembers && group.IsSubscribedToTopic(topic))
            {
                results.Add((topic, partition, ErrorCode.GroupSubscribedToTopic));
                continue;
            }
            results.Add((topic, partition, ErrorCode.None));
            if (offsets is not null && offsets.Remove((topic, partition)))
            {
                tombstones.Add((OffsetsTopicRecords.OffsetCommitKeyBytes(delete.GroupId, topic, partition), null));
            }
        }
        if (tombstones.Count == 0)
        {
            delete.Respond(new DeleteOffsetsResult(ErrorCode.None, results));
            return;
        }
        Write(tombstones, error => delete.Respond(error == ErrorCode.None
            ? new DeleteOffsetsResult(ErrorCode.None, results)
            : new DeleteOffsetsResult(error, [])));
    }

    /// <summary>Kafka's cleanupGroupMetadata: expire offsets, then remove Empty groups (of either protocol) that have none left.</summary>
    private void RunOffsetExpiry()
    {
        var now = NowMs;
        var retention = _settings.OffsetsRetentionMs;
        var tombstones = new List<(byte[], byte[]?)>();
        List<string>? removed = null;
        List<string>? emptyConsumerGroups = null;
        foreach (var group in _groups.Values)
        {
            if (_offsets.TryGetValue(group.GroupId, out var offsets))
            {
                List<(string Topic, int Partition)>? expired = null;
                foreach (var (tp, offset) in offsets)
                {
                    if (IsExpired(group, tp.Topic, offset, now, retention))
                    {
                        (expired ??= []).Add(tp);
                    }
                }
                if (expired is not null)
                {
                    foreach (var tp in expired)
                    {
                        offsets.Remove(tp);
                        tombstones.Add((OffsetsTopicRecords.OffsetCommitKeyBytes(group.GroupId, tp.Topic, tp.Partition), null));
                    }
                }
                if (offsets.Count == 0)
                {
                    _offsets.Remove(group.GroupId);
                }
            }
            if (group is ClassicGroup { State: GroupState.Empty, PendingMembers.Count: 0 } classic && !_offsets.ContainsKey(group.GroupId))
            {
                classic.TransitionTo(GroupState.Dead, now);
                (removed ??= []).Add(group.GroupId);
                tombstones.Add((OffsetsTopicRecords.GroupMetadataKeyBytes(group.GroupId), null));
            }
            else if (group is ConsumerGroup { IsEmpty: true } && !_offsets.ContainsKey(group.GroupId) && !_consumerWrites.ContainsKey(group.GroupId))
            {
                (emptyConsumerGroups ??= []).Add(group.GroupId);
            }
        }
        if (removed is not null)
        {
            foreach (var id in removed)
            {
                _groups.Remove(id);
            }
        }
        // Offsets of groups this shard never saw as a group (replayed without metadata) age from their commit.
        foreach (var (groupId, offsets) in _offsets.Where(kv => !_groups.ContainsKey(kv.Key)).ToList())
        {
            foreach (var (tp, offset) in offsets.Where(o => now - o.Value.CommitTimestampMs >= retention).ToList())
            {
                offsets.Remove(tp);
                tombstones.Add((OffsetsTopicRecords.OffsetCommitKeyBytes(groupId, tp.Topic, tp.Partition), null));
            }
            if (offsets.Count == 0)
            {
                _offsets.Remove(groupId);
            }
        }
        if (tombstones.Count > 0)
        {
            Write(tombstones, _ => { });
        }
        foreach (var groupId in emptyConsumerGroups ?? [])
        {
            // As DeleteGroups: the group's tombstones, applied once written (a failed write leaves it for the next check).
            if (_consumer.DeleteGroup(groupId) is { Response: ErrorCode.None } deletion)
            {
                AppendConsumerRecords(groupId, deletion.Records, _ => { });
            }
        }
    }

    private static bool IsExpired(Group group, string topic, CommittedOffset offset, long now, long retention)
    {
        if (group.IsEmpty)
        {
            // Empty after having members: everything ages from the moment it became Empty; never had members: from each commit.
            var since = group.EmptySinceMs ?? offset.CommitTimestampMs;
            return now - since >= retention;
        }
        // KIP-496: a Stable consumer group drops offsets of topics it no longer subscribes to.
        return group is ClassicGroup { State: GroupState.Stable, SubscribedTopics: { } subscribed }
            && !subscribed.Contains(topic) && now - offset.CommitTimestampMs >= retention;
    }
}
