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
        foreach (var (groupId, protocolType, state) in Coordinator.ListGroups(request.ApiVersion >= 4 ? list.StatesFilter : []))
        {
            if (request.ApiVersion >= 5 && list.TypesFilter.Count > 0 && !list.TypesFilter.Contains("classic", StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }
            response.Groups.Add(new ListGroupsResponse.ListedGroup { GroupId = groupId, ProtocolType = protocolType, GroupState = state, GroupType = "classic" });
        }
        request.Respond(response);
    }

    public void DescribeGroups(RequestContext request)
    {
        var describe = request.Decode<DescribeGroupsRequest>();
        var response = new DescribeGroupsResponse();
        foreach (var groupId in describe.Groups)
        {
            var d = Coordinator.Describe(groupId);
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
            var error = Coordinator.DeleteGroup(groupId);
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
