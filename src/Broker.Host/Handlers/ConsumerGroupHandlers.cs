using Broker.Actors.Configs;
using Broker.Actors.Group.Consumer;
using Broker.Host.Network;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Handlers;

/// <summary>The new consumer group protocol (KIP-848): ConsumerGroupHeartbeat and ConsumerGroupDescribe.</summary>
internal sealed partial class GroupHandlers
{
    private ConsumerGroupService? _consumerGroups;
    private readonly object _consumerGroupsLock = new();

    /// <summary>The consumer-protocol groups; created with __consumer_offsets' log so its replay feeds them.</summary>
    public ConsumerGroupService ConsumerGroups
    {
        get
        {
            lock (_consumerGroupsLock)
            {
                return _consumerGroups ??= new ConsumerGroupService(node, ConsumerConfig(node), ClassicGroupInUse, () => Loader,
                    node.System.LoggerFactory.CreateLogger("akkabroker.consumer-groups"));
            }
        }
    }

    private static ConsumerGroupConfig ConsumerConfig(BrokerNode node)
    {
        var assignors = node.Settings.Values.GetList(BrokerConfigs.GroupConsumerAssignors).Select(n => PartitionAssignors.ByName(n) ?? throw new InvalidOperationException($"unknown assignor {n}")).ToList();
        return new ConsumerGroupConfig(
            (int)Number(node, BrokerConfigs.GroupConsumerSessionTimeoutMs),
            (int)Number(node, BrokerConfigs.GroupConsumerHeartbeatIntervalMs),
            (int)Number(node, BrokerConfigs.GroupConsumerMaxSize),
            assignors);
    }

    /// <summary>A classic group with members (or rebalancing) keeps its id from the consumer protocol.</summary>
    private bool ClassicGroupInUse(string groupId) => _offsetsLoader?.Coordinator?.ClassicGroups.IsInUse(groupId) ?? false;

    public async ValueTask ConsumerGroupHeartbeatAsync(RequestContext request)
    {
        var heartbeat = request.Decode<ConsumerGroupHeartbeatRequest>();
        if (!await TryLoadConsumerGroupsAsync().ConfigureAwait(false))
        {
            request.Respond(new ConsumerGroupHeartbeatResponse { ErrorCode = (short)ErrorCode.CoordinatorLoadInProgress });
            return;
        }
        var host = request.RemoteEndPoint is System.Net.IPEndPoint ip ? "/" + ip.Address : "/" + request.RemoteEndPoint;
        request.Respond(await ConsumerGroups.HeartbeatAsync(heartbeat, request.ClientId ?? string.Empty, host).ConfigureAwait(false));
    }

    public async ValueTask ConsumerGroupDescribeAsync(RequestContext request)
    {
        var describe = request.Decode<ConsumerGroupDescribeRequest>();
        var response = new ConsumerGroupDescribeResponse();
        if (!await TryLoadConsumerGroupsAsync().ConfigureAwait(false))
        {
            foreach (var id in describe.GroupIds)
            {
                response.Groups.Add(new ConsumerGroupDescribeResponse.DescribedGroup { GroupId = id, ErrorCode = (short)ErrorCode.CoordinatorLoadInProgress });
            }
            request.Respond(response);
            return;
        }
        response.Groups.AddRange(ConsumerGroups.Describe(describe.GroupIds));
        request.Respond(response);
    }

    /// <summary>Group state is only answered once __consumer_offsets has been replayed.</summary>
    private async Task<bool> TryLoadConsumerGroupsAsync()
    {
        try
        {
            await ConsumerGroups.EnsureLoadedAsync().ConfigureAwait(false);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }
}
