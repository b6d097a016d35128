using Broker.Actors.Group;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>ListGroups, DescribeGroups and DeleteGroups (only empty groups can go).</summary>
internal sealed partial class GroupHandlers
{
    public void ListGroups(RequestContext request)
    {
        var list = request.Decode<ListGroupsRequest>();
        var response = new ListGroupsResponse();
        var states = request.ApiVersion >= 4 ? list.StatesFilter : [];
        var types = request.ApiVersion >= 5 ? list.TypesFilter : [];
        var consumerGroups = ConsumerGroups.List();
        var consumerIds = consumerGroups.Select(g => g.GroupId).ToHashSet(StringComparer.Ordinal);
        foreach (var (groupId, protocolType, state) in Coordinator.ListGroups(states))
        {
            if (consumerIds.Contains(groupId) || (types.Count > 0 && !types.Contains("classic", StringComparer.OrdinalIgnoreCase)))
            {
                continue; // a consumer group's committed offsets live in the classic table: list it once, as a consumer group
            }
            response.Groups.Add(new ListGroupsResponse.ListedGroup { GroupId = groupId, ProtocolType = protocolType, GroupState = state, GroupType = "classic" });
        }
        foreach (var (groupId, state) in consumerGroups)
        {
            if ((states.Count == 0 || states.Contains(state, StringComparer.OrdinalIgnoreCase))
                && (types.Count == 0 || types.Contains("consumer", StringComparer.OrdinalIgnoreCase)))
            {
                response.Groups.Add(new ListGroupsResponse.ListedGroup { GroupId = groupId, ProtocolType = "consumer", GroupState = state, GroupType = "consumer" });
            }
        }
        request.Respond(response);
    }

    public void DescribeGroups(RequestContext request)
    {
        var describe = request.Decode<DescribeGroupsRequest>();
        var response = new DescribeGroupsResponse();
        foreach (var groupId in describe.Groups)
        {
            // Kafka 3.7+: DescribeGroups (v0-5) sees a consumer-protocol group as Dead, without an error.
            var d = ConsumerGroups.IsConsumerGroup(groupId)
                ? new GroupCoordinator.GroupDescription(ErrorCode.None, groupId, "Dead", string.Empty, string.Empty, [])
                : Coordinator.Describe(groupId);
            var group = new DescribeGroupsResponse.DescribedGroup
            {
                ErrorCode = (short)d.Error,
                GroupId = d.GroupId,
                GroupState = d.State,
                ProtocolType = d.ProtocolType,
                ProtocolData = d.Protocol,
            };
            foreach (var m in d.Members)
            {
                group.Members.Add(new DescribeGroupsResponse.DescribedGroupMember
                {
                    MemberId = m.MemberId, GroupInstanceId = m.GroupInstanceId, ClientId = m.ClientId, ClientHost = m.ClientHost,
                    MemberMetadata = m.Metadata, MemberAssignment = m.Assignment,
                });
            }
            response.Groups.Add(group);
        }
        request.Respond(response);
    }

    public async ValueTask DeleteGroupsAsync(RequestContext request)
    {
        var delete = request.Decode<DeleteGroupsRequest>();
        var response = new DeleteGroupsResponse();
        foreach (var groupId in delete.GroupsNames)
        {
            var partitions = Coordinator.OffsetPartitions(groupId);
            var consumerError = await ConsumerGroups.DeleteAsync(groupId).ConfigureAwait(false);
            // A deleted consumer group's offsets sit in an empty classic entry: that goes too (none is fine).
            var error = consumerError is { } e
                ? (e == ErrorCode.None && Coordinator.DeleteGroup(groupId) is var classic && classic != ErrorCode.GroupIdNotFound ? classic : e)
                : Coordinator.DeleteGroup(groupId);
            if (error == ErrorCode.None && partitions.Count > 0)
            {
                // Tombstones, so the deleted offsets do not come back when __consumer_offsets is replayed.
                error = await OffsetsLog.AppendAsync(groupId, partitions.Select(p => (p.Topic, p.Partition, (CommittedOffset?)null)).ToList()).ConfigureAwait(false);
            }
            response.Results.Add(new DeleteGroupsResponse.DeletableGroupResult { GroupId = groupId, ErrorCode = (short)error });
        }
        request.Respond(response);
    }
}
