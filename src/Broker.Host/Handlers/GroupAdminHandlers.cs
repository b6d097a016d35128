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
                var groups = await coordinator.ListGroupsAsync(states.ToList(), types.ToList()).WaitAsync(ListTimeout).ConfigureAwait(false);
                var consumerGroups = await TryLoadConsumerGroupsAsync().ConfigureAwait(false) ? ConsumerGroups.List() : [];
                var consumerIds = consumerGroups.Select(g => g.GroupId).ToHashSet(StringComparer.Ordinal);
                foreach (var (groupId, state) in consumerGroups)
                {
                    if ((states.Count == 0 || states.Contains(state, StringComparer.OrdinalIgnoreCase))
                        && (types.Count == 0 || types.Contains("consumer", StringComparer.OrdinalIgnoreCase)))
                    {
                        response.Groups.Add(new ListGroupsResponse.ListedGroup { GroupId = groupId, ProtocolType = "consumer", GroupState = state, GroupType = "consumer" });
                    }
                }
                // A consumer group's committed offsets sit in an empty classic entry: list it once, as a consumer group.
                foreach (var g in groups.Where(g => !consumerIds.Contains(g.GroupId)).OrderBy(g => g.GroupId, StringComparer.Ordinal))
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
        var consumerGroupsLoaded = await TryLoadConsumerGroupsAsync().ConfigureAwait(false);
        FanOut<GroupDescription>(describe.Groups.Count, (i, done) =>
        {
            if (consumerGroupsLoaded && ConsumerGroups.IsConsumerGroup(describe.Groups[i]))
            {
                // Kafka 3.7+: DescribeGroups (v0-5) sees a consumer-protocol group as Dead, without an error.
                done(new GroupDescription(ErrorCode.None, describe.Groups[i], "Dead", string.Empty, string.Empty, []));
                return;
            }
            Send(coordinator, new DescribeGroup(describe.Groups[i], done));
        }, results =>
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
        var consumerErrors = new ErrorCode?[delete.GroupsNames.Count];
        if (await TryLoadConsumerGroupsAsync().ConfigureAwait(false))
        {
            for (var i = 0; i < consumerErrors.Length; i++)
            {
                consumerErrors[i] = await ConsumerGroups.DeleteAsync(delete.GroupsNames[i]).ConfigureAwait(false);
            }
        }
        FanOut<ErrorCode>(delete.GroupsNames.Count, (i, done) =>
        {
            if (consumerErrors[i] is { } consumerError)
            {
                if (consumerError != ErrorCode.None)
                {
                    done(consumerError);
                    return;
                }
                // A deleted consumer group's offsets sit in an empty classic entry: that goes too (none is fine).
                Send(coordinator, new DeleteGroup(delete.GroupsNames[i], classic => done(classic == ErrorCode.GroupIdNotFound ? ErrorCode.None : classic)));
                return;
            }
            Send(coordinator, new DeleteGroup(delete.GroupsNames[i], done));
        }, results =>
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
