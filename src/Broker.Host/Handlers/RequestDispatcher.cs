using Broker.Host.Network;
using Broker.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace Broker.Host.Handlers;

/// <summary>
/// Routes each request to the handler of its API. Handlers answer through the request context,
/// possibly later (after an append, from the purgatory); the I/O loop only waits for the hand-off.
/// ApiVersions is answered by the network layer itself.
/// </summary>
internal sealed class RequestDispatcher : IRequestDispatcher
{
    private readonly ProduceHandler _produce;
    private readonly FetchHandler _fetch;
    private readonly MetadataHandler _metadata;
    private readonly ListOffsetsHandler _listOffsets;
    private readonly AdminTopicHandlers _topics;
    private readonly InitProducerIdHandler _initProducerId;
    private readonly DescribeConfigsHandler _describeConfigs;
    private readonly AlterConfigsHandler _alterConfigs;
    private readonly DescribeClusterHandler _describeCluster;
    private readonly DeleteRecordsHandler _deleteRecords;
    private readonly DescribeLogDirsHandler _describeLogDirs;
    private readonly GroupHandlers _groups;
    private readonly OffsetForLeaderEpochHandler _offsetForLeaderEpoch;
    private readonly AlterPartitionHandler _alterPartition;
    private readonly RaftHandlers _raft;
    private readonly ControllerApiHandlers _controllerApis;
    private readonly ReplicaAdminHandlers _replicaAdmin;
    private readonly MembershipHandlers _membership;
    private readonly ILogger _logger;

    public RequestDispatcher(BrokerNode node, ILogger logger)
    {
        _produce = new ProduceHandler(node);
        _fetch = new FetchHandler(node);
        _metadata = new MetadataHandler(node);
        _listOffsets = new ListOffsetsHandler(node);
        _topics = new AdminTopicHandlers(node);
        _initProducerId = new InitProducerIdHandler(node);
        _describeConfigs = new DescribeConfigsHandler(node);
        _alterConfigs = new AlterConfigsHandler(node);
        _describeCluster = new DescribeClusterHandler(node);
        _deleteRecords = new DeleteRecordsHandler(node);
        _describeLogDirs = new DescribeLogDirsHandler(node);
        _groups = new GroupHandlers(node);
        _offsetForLeaderEpoch = new OffsetForLeaderEpochHandler(node);
        _alterPartition = new AlterPartitionHandler(node);
        _raft = node.RaftHandlers;
        _controllerApis = new ControllerApiHandlers(node);
        _replicaAdmin = new ReplicaAdminHandlers(node);
        _membership = new MembershipHandlers(node);
        _logger = logger;
    }

    public ValueTask HandleAsync(RequestContext request)
    {
        try
        {
            Cluster.ForwardedRequest.Mark(request.ClientId);
            switch ((ApiKey)request.ApiKey)
            {
                case ApiKey.BrokerRegistration:
                    return Guard(request, _controllerApis.BrokerRegistrationAsync(request));
                case ApiKey.BrokerHeartbeat:
                    return Guard(request, _controllerApis.BrokerHeartbeatAsync(request));
                case ApiKey.AllocateProducerIds:
                    return Guard(request, _controllerApis.AllocateProducerIdsAsync(request));
                case ApiKey.Produce:
                    _produce.Handle(request);
                    return ValueTask.CompletedTask;
                case ApiKey.Vote:
                case ApiKey.BeginQuorumEpoch:
                case ApiKey.EndQuorumEpoch:
                case ApiKey.DescribeQuorum:
                case ApiKey.FetchSnapshot:
                    _raft.Handle(request);
                    return ValueTask.CompletedTask;
                case ApiKey.Fetch:
                    _fetch.Handle(request);
                    return ValueTask.CompletedTask;
                case ApiKey.ListOffsets:
                    _listOffsets.Handle(request);
                    return ValueTask.CompletedTask;
                case ApiKey.Metadata:
                    return Guard(request, _metadata.HandleAsync(request));
                case ApiKey.CreateTopics:
                    return Guard(request, _topics.CreateTopicsAsync(request));
                case ApiKey.DeleteTopics:
                    return Guard(request, _topics.DeleteTopicsAsync(request));
                case ApiKey.CreatePartitions:
                    return Guard(request, _topics.CreatePartitionsAsync(request));
                case ApiKey.InitProducerId:
                    return Guard(request, _initProducerId.HandleAsync(request));
                case ApiKey.DescribeConfigs:
                    _describeConfigs.Handle(request);
                    return ValueTask.CompletedTask;
                case ApiKey.AlterConfigs:
                    return Guard(request, _alterConfigs.AlterConfigsAsync(request));
                case ApiKey.IncrementalAlterConfigs:
                    return Guard(request, _alterConfigs.IncrementalAlterConfigsAsync(request));
                case ApiKey.DescribeCluster:
                    _describeCluster.Handle(request);
                    return ValueTask.CompletedTask;
                case ApiKey.DeleteRecords:
                    return Guard(request, _deleteRecords.HandleAsync(request));
                case ApiKey.DescribeLogDirs:
                    _describeLogDirs.Handle(request);
                    return ValueTask.CompletedTask;
                case ApiKey.FindCoordinator:
                    return Guard(request, _groups.FindCoordinatorAsync(request));
                case ApiKey.JoinGroup:
                    return Guard(request, _groups.JoinGroupAsync(request));
                case ApiKey.SyncGroup:
                    return Guard(request, _groups.SyncGroupAsync(request));
                case ApiKey.Heartbeat:
                    return Guard(request, _groups.HeartbeatAsync(request));
                case ApiKey.LeaveGroup:
                    return Guard(request, _groups.LeaveGroupAsync(request));
                case ApiKey.OffsetCommit:
                    return Guard(request, _groups.OffsetCommitAsync(request));
                case ApiKey.OffsetFetch:
                    return Guard(request, _groups.OffsetFetchAsync(request));
                case ApiKey.ListGroups:
                    return Guard(request, _groups.ListGroupsAsync(request));
                case ApiKey.DescribeGroups:
                    return Guard(request, _groups.DescribeGroupsAsync(request));
                case ApiKey.DeleteGroups:
                    return Guard(request, _groups.DeleteGroupsAsync(request));
                case ApiKey.OffsetDelete:
                    return Guard(request, _groups.OffsetDeleteAsync(request));
                case ApiKey.ConsumerGroupHeartbeat:
                    return Guard(request, _groups.ConsumerGroupHeartbeatAsync(request));
                case ApiKey.ConsumerGroupDescribe:
                    return Guard(request, _groups.ConsumerGroupDescribeAsync(request));
                case ApiKey.OffsetForLeaderEpoch:
                    _offsetForLeaderEpoch.Handle(request);
                    return ValueTask.CompletedTask;
                case ApiKey.AlterPartition:
                    return Guard(request, _alterPartition.HandleAsync(request));
                case ApiKey.ControlledShutdown:
                    return Guard(request, _membership.ControlledShutdownAsync(request));
                case ApiKey.UnregisterBroker:
                    return Guard(request, _membership.UnregisterBrokerAsync(request));
                case ApiKey.ElectLeaders:
                    return Guard(request, _replicaAdmin.ElectLeadersAsync(request));
                case ApiKey.AlterPartitionReassignments:
                    return Guard(request, _replicaAdmin.AlterPartitionReassignmentsAsync(request));
                case ApiKey.ListPartitionReassignments:
                    return Guard(request, _replicaAdmin.ListPartitionReassignmentsAsync(request));
                default:
                    request.CloseConnection($"unsupported api {request.ApiKey} v{request.ApiVersion}");
                    return ValueTask.CompletedTask;
            }
        }
        catch (Exception ex)
        {
            Fail(request, ex);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Async handlers run on without holding the I/O loop; a failure closes the connection.</summary>
    private ValueTask Guard(RequestContext request, ValueTask work)
    {
        if (work.IsCompletedSuccessfully)
        {
            return ValueTask.CompletedTask;
        }
        _ = Observe(request, work);
        return ValueTask.CompletedTask;
    }

    private async Task Observe(RequestContext request, ValueTask work)
    {
        try
        {
            await work.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Fail(request, ex);
        }
    }

    private void Fail(RequestContext request, Exception ex)
    {
        _logger.LogWarning(ex, "request {ApiKey} v{Version} from {Client} failed", (ApiKey)request.ApiKey, request.ApiVersion, request.ClientId);
        if (!request.IsCompleted)
        {
            request.CloseConnection(ex.Message);
        }
    }
}
