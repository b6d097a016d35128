using Broker.Actors.Group.Consumer;
using Broker.Protocol.Messages;

namespace Broker.Actors.Group;

/// <summary>ListGroups, DescribeGroups and DeleteGroups (Empty groups only; tombstones before the answer).</summary>
public sealed partial class GroupCoordinatorShard
{
    private ListGroupsResult HandleList(ListGroups list)
    {
        var groups = new List<ListedGroup>();
        foreach (var group in _groups.Values)
        {
            if (group.IsDead)
            {
                continue;
            }
            if (list.States.Count > 0 && !list.States.Contains(group.StateName, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }
            if (list.Types.Count > 0 && !list.Types.Contains(group.GroupType, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }
            groups.Add(new ListedGroup(group.GroupId, group.ProtocolType, group.StateName, group.GroupType));
        }
        return new ListGroupsResult(ErrorCode.None, groups);
    }

    private GroupDescription HandleDescribe(string groupId)
    {
        if (string.IsNullOrEmpty(groupId))
        {
            return new(ErrorCode.InvalidGroupId, groupId, string.Empty, string.Empty, string.Empty, []);
        }
        if (!_groups.TryGetValue(groupId, out var g) || g.IsDead)
        {
            // Kafka describes an unknown group as Dead with no members.
            return new(ErrorCode.None, groupId, ClassicGroup.StateNameOf(GroupState.Dead), string.Empty, string.Empty, []);
        }
        if (g is not ClassicGroup group)
        {
            // Kafka 3.7+: DescribeGroups (v0-5) sees a KIP-848 group as Dead, without an error; ConsumerGroupDescribe describes it.
            return new(ErrorCode.None, groupId, ClassicGroup.StateNameOf(GroupState.Dead), string.Empty, string.Empty, []);
        }
        var stable = group.State == GroupState.Stable;
        var members = new List<MemberDescription>(group.Members.Count);
        foreach (var m in group.Members.Values)
        {
            members.Add(new MemberDescription(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost,
                stable && group.ProtocolName is not null ? m.MetadataFor(group.ProtocolName) : ReadOnlyMemory<byte>.Empty,
                stable ? m.Assignment : ReadOnlyMemory<byte>.Empty));
        }
        return new(ErrorCode.None, groupId, group.StateName, group.ProtocolType, stable ? group.ProtocolName ?? string.Empty : string.Empty, members);
    }

    private void HandleDeleteGroup(DeleteGroup delete)
    {
        var groupId = delete.GroupId;
        if (string.IsNullOrEmpty(groupId))
        {
            delete.Respond(ErrorCode.InvalidGroupId);
            return;
        }
        if (!_groups.TryGetValue(groupId, out var group) || group.IsDead)
        {
            delete.Respond(ErrorCode.GroupIdNotFound);
            return;
        }
        if (!group.IsEmpty)
        {
            delete.Respond(ErrorCode.NonEmptyGroup);
            return;
        }
        if (group is ConsumerGroup)
        {
            DeleteConsumerGroup(delete);
            return;
        }
        if (group is ClassicGroup classic)
        {
            classic.TransitionTo(GroupState.Dead, NowMs);
            foreach (var pending in classic.PendingMembers)
            {
                Context.Timers.Cancel(new PendingMemberExpiry(groupId, pending));
            }
        }
        _groups.Remove(groupId);
        var tombstones = new List<(byte[], byte[]?)>();
        if (_offsets.Remove(groupId, out var offsets))
        {
            foreach (var (topic, partition) in offsets.Keys)
            {
                tombstones.Add((OffsetsTopicRecords.OffsetCommitKeyBytes(groupId, topic, partition), null));
            }
        }
        tombstones.Add((OffsetsTopicRecords.GroupMetadataKeyBytes(groupId), null));
        Write(tombstones, delete.Respond);
    }
}
