using Broker.Protocol.Messages;

namespace Broker.Actors.Group;

/// <summary>ListGroups, DescribeGroups and DeleteGroups.</summary>
public sealed partial class GroupCoordinator
{
    public List<(string GroupId, string ProtocolType, string State)> ListGroups(IReadOnlyCollection<string> stateFilter)
    {
        lock (_lock)
        {
            return _groups.Values
                .Where(g => g.State != GroupState.Dead)
                .Select(g => (g.GroupId, g.ProtocolType ?? string.Empty, ClassicGroup.StateName(g.State)))
                .Where(g => stateFilter.Count == 0 || stateFilter.Contains(g.Item3, StringComparer.OrdinalIgnoreCase))
                .ToList();
        }
    }

    public sealed record MemberDescription(string MemberId, string? GroupInstanceId, string ClientId, string ClientHost, ReadOnlyMemory<byte> Metadata, ReadOnlyMemory<byte> Assignment);

    public sealed record GroupDescription(ErrorCode Error, string GroupId, string State, string ProtocolType, string Protocol, List<MemberDescription> Members);

    public GroupDescription Describe(string groupId)
    {
        lock (_lock)
        {
            if (string.IsNullOrEmpty(groupId))
            {
                return new(ErrorCode.InvalidGroupId, groupId, string.Empty, string.Empty, string.Empty, []);
            }
            if (!_groups.TryGetValue(groupId, out var group))
            {
                // Kafka describes an unknown group as Dead with no members.
                return new(ErrorCode.None, groupId, "Dead", string.Empty, string.Empty, []);
            }
            var stable = group.State == GroupState.Stable;
            var members = group.Members.Values.Select(m => new MemberDescription(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost,
                stable && group.ProtocolName is not null ? m.MetadataFor(group.ProtocolName) : ReadOnlyMemory<byte>.Empty,
                stable ? m.Assignment : ReadOnlyMemory<byte>.Empty)).ToList();
            return new(ErrorCode.None, groupId, ClassicGroup.StateName(group.State), group.ProtocolType ?? string.Empty,
                stable ? group.ProtocolName ?? string.Empty : string.Empty, members);
        }
    }

    public ErrorCode DeleteGroup(string groupId)
    {
        lock (_lock)
        {
            if (string.IsNullOrEmpty(groupId))
            {
                return ErrorCode.InvalidGroupId;
            }
            if (!_groups.TryGetValue(groupId, out var group) || group.State == GroupState.Dead)
            {
                return ErrorCode.GroupIdNotFound;
            }
            if (group.State != GroupState.Empty)
            {
                return ErrorCode.NonEmptyGroup;
            }
            group.State = GroupState.Dead;
            _groups.Remove(groupId);
            return ErrorCode.None;
        }
    }
}
