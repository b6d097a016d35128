using Broker.Actors.Metadata;
using Broker.Protocol.Messages;

namespace Broker.Host.Cluster;

/// <summary>ElectLeaders, AlterPartitionReassignments and ListPartitionReassignments: forwarded to the active
/// controller as the Kafka requests themselves (KRaft brokers forward all three). Each throws
/// <see cref="NotControllerException"/> when no active controller answered in time.</summary>
public sealed partial class ForwardingController
{
    public async Task<IReadOnlyList<TopicPartitionResults>> ElectLeadersAsync(ElectionType type, IReadOnlyList<TopicPartitions>? partitions)
    {
        var results = await RouteAsync(c => c.ElectLeadersAsync(type, partitions), async () =>
        {
            var request = new ElectLeadersRequest
            {
                ElectionType = (sbyte)type,
                TimeoutMs = (int)ForwardTimeout.TotalMilliseconds,
                TopicPartitions = partitions?.Select(p => new ElectLeadersRequest.TopicPartitionsData { Topic = p.Topic, Partitions = [.. p.Partitions] }).ToList(),
            };
            var before = _publisher.Current;
            var response = await _channel.SendAsync<ElectLeadersResponse>(request, ElectLeadersRequest.HighestVersion).ConfigureAwait(false);
            if (response is null || response.ErrorCode == (short)ErrorCode.NotController)
            {
                return null;
            }
            IReadOnlyList<TopicPartitionResults> list = [.. response.ReplicaElectionResults.Select(t => new TopicPartitionResults(t.Topic,
                [.. t.PartitionResult.Select(p => new PartitionResult(p.PartitionId, p.ErrorCode, p.ErrorMessage))]))];
            await WaitForLeadersAsync(before, list).ConfigureAwait(false);
            return list;
        }).ConfigureAwait(false);
        return results ?? throw new NotControllerException("There is no active controller.");
    }

    public async Task<IReadOnlyList<TopicPartitionResults>> AlterPartitionReassignmentsAsync(IReadOnlyList<TopicReassignment> topics)
    {
        var results = await RouteAsync(c => c.AlterPartitionReassignmentsAsync(topics), async () =>
        {
            var request = new AlterPartitionReassignmentsRequest { TimeoutMs = (int)ForwardTimeout.TotalMilliseconds };
            foreach (var t in topics)
            {
                request.Topics.Add(new AlterPartitionReassignmentsRequest.ReassignableTopic
                {
                    Name = t.Topic,
                    Partitions = [.. t.Partitions.Select(p => new AlterPartitionReassignmentsRequest.ReassignablePartition
                    {
                        PartitionIndex = p.Partition, Replicas = p.Replicas?.ToList(),
                    })],
                });
            }
            var response = await _channel.SendAsync<AlterPartitionReassignmentsResponse>(request, AlterPartitionReassignmentsRequest.HighestVersion).ConfigureAwait(false);
            if (response is null || response.ErrorCode == (short)ErrorCode.NotController)
            {
                return null;
            }
            IReadOnlyList<TopicPartitionResults> list = [.. response.Responses.Select(t => new TopicPartitionResults(t.Name,
                [.. t.Partitions.Select(p => new PartitionResult(p.PartitionIndex, p.ErrorCode, p.ErrorMessage))]))];
            return list;
        }).ConfigureAwait(false);
        return results ?? throw new NotControllerException("There is no active controller.");
    }

    /// <summary>Null: no active controller answered in time.</summary>
    private Task<IReadOnlyList<OngoingReassignment>?> TryListPartitionReassignmentsAsync(IReadOnlyList<TopicPartitions>? partitions) =>
        RouteAsync(c => c.ListPartitionReassignmentsAsync(partitions), async () =>
        {
            var request = new ListPartitionReassignmentsRequest
            {
                TimeoutMs = (int)ForwardTimeout.TotalMilliseconds,
                Topics = partitions?.Select(p => new ListPartitionReassignmentsRequest.ListPartitionReassignmentsTopics { Name = p.Topic, PartitionIndexes = [.. p.Partitions] }).ToList(),
            };
            var response = await _channel.SendAsync<ListPartitionReassignmentsResponse>(request, ListPartitionReassignmentsRequest.HighestVersion).ConfigureAwait(false);
            if (response is null || response.ErrorCode == (short)ErrorCode.NotController)
            {
                return null;
            }
            IReadOnlyList<OngoingReassignment> list = [.. response.Topics.SelectMany(t => t.Partitions.Select(p =>
                new OngoingReassignment(t.Name, p.PartitionIndex, p.Replicas, p.AddingReplicas, p.RemovingReplicas)))];
            return list;
        });

    public async Task<IReadOnlyList<OngoingReassignment>> ListPartitionReassignmentsAsync(IReadOnlyList<TopicPartitions>? partitions) =>
        await TryListPartitionReassignmentsAsync(partitions).ConfigureAwait(false)
        ?? throw new NotControllerException("There is no active controller.");

    /// <summary>A forwarded election answered: wait (briefly) until this node's image shows the new leaders, so
    /// a Metadata request sent here next sees them (as on the controller itself).</summary>
    private async Task WaitForLeadersAsync(MetadataImage before, IReadOnlyList<TopicPartitionResults> results)
    {
        var elected = results.SelectMany(t => t.Partitions.Where(p => p.ErrorCode == 0).Select(p => (t.Topic, p.Partition))).ToList();
        if (elected.Count == 0)
        {
            return;
        }
        await _publisher.WaitForAsync(image => elected.All(e =>
            image.Topic(e.Topic)?.Partitions.FirstOrDefault(p => p.Partition == e.Partition) is not { } now
            || before.Topic(e.Topic)?.Partitions.FirstOrDefault(p => p.Partition == e.Partition) is not { } then
            || now.LeaderEpoch > then.LeaderEpoch), ImageWait).ConfigureAwait(false);
    }
}
