using Broker.Actors.Metadata;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// ElectLeaders (43), AlterPartitionReassignments (45) and ListPartitionReassignments (46): decided by the
/// active controller (forwarded there by <see cref="Cluster.ForwardingController"/>); NOT_CONTROLLER when
/// there is none (a forwarding broker then asks the quorum again).
/// </summary>
internal sealed class ReplicaAdminHandlers(BrokerNode node)
{
    public async ValueTask ElectLeadersAsync(RequestContext request)
    {
        var elect = request.Decode<ElectLeadersRequest>();
        var partitions = elect.TopicPartitions?.Select(t => new TopicPartitions(t.Topic, t.Partitions)).ToList();
        // v0 has no election type: preferred.
        var type = request.ApiVersion >= 1 && elect.ElectionType == (sbyte)ElectionType.Unclean ? ElectionType.Unclean : ElectionType.Preferred;
        var response = new ElectLeadersResponse();
        if (request.ApiVersion >= 1 && elect.ElectionType is not 0 and not 1)
        {
            response.ErrorCode = (short)ErrorCode.InvalidRequest;
            request.Respond(response);
            return;
        }
        IReadOnlyList<TopicPartitionResults> results;
        try
        {
            results = await node.Controller.ElectLeadersAsync(type, partitions).ConfigureAwait(false);
        }
        catch (NotControllerException ex)
        {
            // v0 has no top-level error: each named partition carries it.
            response.ErrorCode = (short)ErrorCode.NotController;
            results = [.. (partitions ?? []).Select(t => new TopicPartitionResults(t.Topic,
                [.. t.Partitions.Select(p => new PartitionResult(p, (short)ErrorCode.NotController, ex.Message))]))];
        }
        foreach (var t in results)
        {
            response.ReplicaElectionResults.Add(new ElectLeadersResponse.ReplicaElectionResult
            {
                Topic = t.Topic,
                PartitionResult = [.. t.Partitions.Select(p => new ElectLeadersResponse.PartitionResult { PartitionId = p.Partition, ErrorCode = p.ErrorCode, ErrorMessage = p.ErrorMessage })],
            });
        }
        request.Respond(response);
    }

    public async ValueTask AlterPartitionReassignmentsAsync(RequestContext request)
    {
        var alter = request.Decode<AlterPartitionReassignmentsRequest>();
        var topics = alter.Topics
            .Select(t => new TopicReassignment(t.Name, [.. t.Partitions.Select(p => new PartitionReassignment(p.PartitionIndex, p.Replicas))]))
            .ToList();
        var response = new AlterPartitionReassignmentsResponse { ErrorMessage = null };
        IReadOnlyList<TopicPartitionResults> results;
        try
        {
            results = await node.Controller.AlterPartitionReassignmentsAsync(topics).ConfigureAwait(false);
        }
        catch (NotControllerException ex)
        {
            response.ErrorCode = (short)ErrorCode.NotController;
            response.ErrorMessage = ex.Message;
            results = [];
        }
        foreach (var t in results)
        {
            response.Responses.Add(new AlterPartitionReassignmentsResponse.ReassignableTopicResponse
            {
                Name = t.Topic,
                Partitions = [.. t.Partitions.Select(p => new AlterPartitionReassignmentsResponse.ReassignablePartitionResponse
                {
                    PartitionIndex = p.Partition, ErrorCode = p.ErrorCode, ErrorMessage = p.ErrorMessage,
                })],
            });
        }
        request.Respond(response);
    }

    public async ValueTask ListPartitionReassignmentsAsync(RequestContext request)
    {
        var list = request.Decode<ListPartitionReassignmentsRequest>();
        var partitions = list.Topics?.Select(t => new TopicPartitions(t.Name, t.PartitionIndexes)).ToList();
        var response = new ListPartitionReassignmentsResponse { ErrorMessage = null };
        try
        {
            var ongoing = await node.Controller.ListPartitionReassignmentsAsync(partitions).ConfigureAwait(false);
            foreach (var topic in ongoing.GroupBy(o => o.Topic))
            {
                response.Topics.Add(new ListPartitionReassignmentsResponse.OngoingTopicReassignment
                {
                    Name = topic.Key,
                    Partitions = [.. topic.Select(o => new ListPartitionReassignmentsResponse.OngoingPartitionReassignment
                    {
                        PartitionIndex = o.Partition,
                        Replicas = [.. o.Replicas],
                        AddingReplicas = [.. o.AddingReplicas],
                        RemovingReplicas = [.. o.RemovingReplicas],
                    })],
                });
            }
        }
        catch (NotControllerException ex)
        {
            response.ErrorCode = (short)ErrorCode.NotController;
            response.ErrorMessage = ex.Message;
        }
        request.Respond(response);
    }
}
