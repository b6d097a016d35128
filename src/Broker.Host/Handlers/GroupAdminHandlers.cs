using Broker.Actors.Group;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>ListGroups (state and type filters), DescribeGroups and DeleteGroups (only Empty groups go).</summary>
internal sealed partial class GroupHandlers
{
    private static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(10);

    public async ValueTask ListGroupsAsync(RequestContext request)
    {
        var list = request.Decode<ListGroupsRequest>();
        var response = new ListGroupsResponse();
        // No __consumer_offsets yet means no group yet: do not create the topic just to list nothing.
        var coordinator = node.Metadata.Current.Topic(OffsetsTopicRecords.TopicName) is null ? null : await CoordinatorAsync().ConfigureAwait(false);
        if (coordinator is not null)
        {
            IReadOnlyList<string> states = request.ApiVersion >= 4 ? list.StatesFilter : [];
            IReadOnlyList<string> types = request.ApiVersion >= 5 ? list.TypesFilter : [];
            try
            {
                // Classic and KIP-848 groups alike: each shard lists the groups of its partition.
                var groups = await coordinator.ListGroupsAsync(states.ToList(), types.ToList()).WaitAsync(ListTimeout).ConfigureAwait(false);
                foreach (var g in groups.OrderBy(g => g.GroupId, StringComparer.Ordinal))
                {
                    response.Groups.Add(new ListGroupsResponse.ListedGroup { GroupId = g.GroupId, ProtocolType = g.ProtocolType, GroupState = g.State, GroupType = g.GroupType });
                }
            }
            catch (TimeoutException)
            {
                response.ErrorCode = (short)ErrorCode.CoordinatorNotAvailable;
            }
        }
        request.Respond(response);
    }

    public async ValueTask DescribeGroupsAsync(RequestContext request)
    {
        var describe = request.Decode<DescribeGroupsRequest>();
        var coordinator = await CoordinatorAsync().ConfigureAwait(false);
        // A KIP-848 group is answered by its shard as Kafka 3.7+ does: Dead, without members (ConsumerGroupDescribe describes it).
        FanOut<GroupDescription>(describe.Groups.Count, (i, done) => Send(coordinator, new DescribeGroup(describe.Groups[i], done)), results =>
        {
            var response = new DescribeGroupsResponse();
            foreach (var d in results)
            {
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
        });
    }

    public async ValueTask DeleteGroupsAsync(RequestContext request)
    {
        var delete = request.Decode<DeleteGroupsRequest>();
        var coordinator = await CoordinatorAsync().ConfigureAwait(false);
        // The shard deletes either kind of group (a KIP-848 group with its offsets, in one append).
        FanOut<ErrorCode>(delete.GroupsNames.Count, (i, done) => Send(coordinator, new DeleteGroup(delete.GroupsNames[i], done)), results =>
        {
            var response = new DeleteGroupsResponse();
            for (var i = 0; i < results.Length; i++)
            {
                response.Results.Add(new DeleteGroupsResponse.DeletableGroupResult { GroupId = delete.GroupsNames[i], ErrorCode = (short)results[i] });
            }
            request.Respond(response);
        });
    }
}
