using Broker.Actors.Group.Consumer;
using Broker.Protocol.Coordinator;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Group;

/// <summary>
/// The shard's event log: replaying __consumer_offsets into groups and offsets (the latest record per
/// key wins, a tombstone deletes), and the GroupMetadata records written as Kafka 3.x writes them.
/// </summary>
public sealed partial class GroupCoordinatorShard
{
    private void Replay()
    {
        var records = 0;
        _log.Replay((key, value, timestamp) =>
        {
            records++;
            var version = OffsetsTopicRecords.KeyVersion(key.Span);
            switch (version)
            {
                case 0 or 1:
                    ReplayOffset(key, value);
                    break;
                case OffsetsTopicRecords.GroupMetadataKeyVersion:
                    ReplayGroup(key, value, timestamp);
                    break;
                default:
                    // 3 to 8: KIP-848 consumer groups; share-group records (9+) are not served here and are skipped.
                    if (ParseConsumerRecord(key, value) is { } record)
                    {
                        ApplyConsumerRecord(record);
                    }
                    break;
            }
        });
        var now = NowMs;
        _consumer.OnLoaded(now);
        foreach (var group in _groups.Values)
        {
            if (group is ClassicGroup classic)
            {
                foreach (var member in classic.Members.Values)
                {
                    // A member that survived the restart in the record has a fresh session to come back in.
                    member.LastHeartbeatMs = now;
                    ScheduleSession(classic, member);
                }
            }
        }
        Log.LogDebug("__consumer_offsets-{Partition}: replayed {Records} records", _log.Partition, records);
    }

    /// <summary>A record this broker cannot decode is logged and skipped rather than keeping the whole partition's groups down.</summary>
    private CoordinatorRecord? ParseConsumerRecord(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? value)
    {
        try
        {
            return CoordinatorRecord.Parse(key, value);
        }
        catch (Exception ex)
        {
            Log.LogError(ex, "__consumer_offsets-{Partition}: skipping an undecodable consumer group record (key type {Type})",
                _log.Partition, OffsetsTopicRecords.KeyVersion(key.Span));
            return null;
        }
    }

    private void ReplayOffset(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? value)
    {
        var k = OffsetsTopicRecords.ReadOffsetCommitKey(key);
        if (k is null)
        {
            return;
        }
        if (value is not { } bytes)
        {
            if (_offsets.TryGetValue(k.group, out var existing))
            {
                existing.Remove((k.topic, k.partition));
                if (existing.Count == 0)
                {
                    _offsets.Remove(k.group);
                }
            }
            return;
        }
        var v = OffsetsTopicRecords.ReadOffsetCommitValue(bytes);
        OffsetsOf(k.group)[(k.topic, k.partition)] = new CommittedOffset(v.offset, v.leaderEpoch, v.metadata, v.commitTimestamp);
        if (!_groups.ContainsKey(k.group))
        {
            // Offsets without group metadata (a simple consumer's commits): an Empty group that never had members.
            var simple = NewClassicGroup(k.group);
            simple.TransitionTo(GroupState.Empty, v.commitTimestamp);
            _groups[k.group] = simple;
        }
    }

    private void ReplayGroup(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? value, long timestamp)
    {
        var groupId = OffsetsTopicRecords.ReadGroupMetadataKey(key).group;
        if (value is not { } bytes)
        {
            // The tombstone of a classic group (deleted, or an empty one a consumer group took over).
            if (_groups.GetValueOrDefault(groupId) is ClassicGroup)
            {
                _groups.Remove(groupId);
            }
            return;
        }
        var v = OffsetsTopicRecords.ReadGroupMetadataValue(bytes);
        var group = new ClassicGroup(groupId)
        {
            GenerationId = v.generation,
            ProtocolTypeOrNull = v.protocolType.Length == 0 ? null : v.protocolType,
            ProtocolName = v.protocol,
            LeaderId = v.leader,
        };
        foreach (var m in v.members)
        {
            var member = new GroupMember(m.memberId, m.groupInstanceId, m.clientId, m.clientHost)
            {
                SessionTimeoutMs = m.sessionTimeout,
                RebalanceTimeoutMs = m.rebalanceTimeout < 0 ? m.sessionTimeout : m.rebalanceTimeout,
                ProtocolType = v.protocolType,
                Protocols = [(v.protocol ?? string.Empty, m.subscription)],
                Assignment = m.assignment,
            };
            group.AddMember(member);
            if (m.groupInstanceId is { } instanceId)
            {
                group.StaticMembers[instanceId] = m.memberId;
            }
        }
        group.TransitionTo(group.Members.Count == 0 ? GroupState.Empty : GroupState.Stable, v.currentStateTimestamp >= 0 ? v.currentStateTimestamp : timestamp);
        if (group.LeaderId is not null && !group.Members.ContainsKey(group.LeaderId))
        {
            group.LeaderId = group.Members.Keys.FirstOrDefault();
        }
        group.SubscribedTopics = group.ComputeSubscribedTopics();
        _groups[groupId] = group;
    }

    /// <summary>
    /// GroupMetadataKey v2 / GroupMetadataValue v3 of the group's current generation: members with the
    /// metadata of the selected protocol and their assignment (<paramref name="assignmentsOf"/> while the
    /// leader's assignment is being stored, else the members' current ones).
    /// </summary>
    private static (byte[] Key, byte[]? Value) GroupMetadataRecord(ClassicGroup group, Dictionary<string, ReadOnlyMemory<byte>>? assignmentsOf)
    {
        var value = new GroupMetadataValue
        {
            protocolType = group.ProtocolTypeOrNull ?? string.Empty,
            generation = group.GenerationId,
            protocol = group.ProtocolName,
            leader = group.LeaderId,
            currentStateTimestamp = group.CurrentStateTimestampMs,
            members = new List<GroupMetadataValue.MemberMetadata>(group.Members.Count),
        };
        foreach (var m in group.Members.Values)
        {
            value.members.Add(new GroupMetadataValue.MemberMetadata
            {
                memberId = m.MemberId,
                groupInstanceId = m.GroupInstanceId,
                clientId = m.ClientId,
                clientHost = m.ClientHost,
                rebalanceTimeout = m.RebalanceTimeoutMs,
                sessionTimeout = m.SessionTimeoutMs,
                subscription = group.ProtocolName is null ? ReadOnlyMemory<byte>.Empty : m.MetadataFor(group.ProtocolName),
                assignment = assignmentsOf is null ? m.Assignment : assignmentsOf.GetValueOrDefault(m.MemberId),
            });
        }
        return (OffsetsTopicRecords.GroupMetadataKeyBytes(group.GroupId), OffsetsTopicRecords.GroupMetadataValueBytes(value));
    }
}
