using System.Collections.Immutable;
using Broker.Actors.Metadata;
using Broker.Actors.Partition;
using Broker.Host.Network;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// AlterPartition (56): a partition leader proposes a new ISR to the active controller. Each partition
/// is decided by the controller (leader epoch, partition epoch and eligibility checks) and answered with
/// the committed leader, epochs and ISR. A node that is not the active controller answers NOT_CONTROLLER.
/// </summary>
internal sealed class AlterPartitionHandler(BrokerNode node)
{
    public async ValueTask HandleAsync(RequestContext request)
    {
        var body = request.Decode<AlterPartitionRequest>();
        var version = request.ApiVersion;
        if (node.LocalController is not { IsActive: true } controller)
        {
            request.Respond(new AlterPartitionResponse { ErrorCode = (short)ErrorCode.NotController });
            return;
        }
        var image = node.Metadata.Current;
        var response = new AlterPartitionResponse();
        foreach (var topic in body.Topics)
        {
            var name = version >= 2 ? image.Topic(topic.TopicId)?.Name ?? string.Empty : topic.TopicName;
            var topicId = version >= 2 ? topic.TopicId : image.Topic(topic.TopicName)?.Id ?? Guid.Empty;
            var result = new AlterPartitionResponse.TopicData { TopicName = topic.TopicName, TopicId = topic.TopicId };
            response.Topics.Add(result);
            foreach (var partition in topic.Partitions)
            {
                var isr = version >= 3 ? partition.NewIsrWithEpochs.Select(b => b.BrokerId) : partition.NewIsr;
                var outcome = await controller.AlterPartitionAsync(new AlterPartitionProposal(
                    body.BrokerId, topicId, name, partition.PartitionIndex, partition.LeaderEpoch, partition.PartitionEpoch, [.. isr])).ConfigureAwait(false);
                if (outcome.ErrorCode == ErrorCode.UnknownTopicOrPartition && version >= 2 && name.Length == 0)
                {
                    outcome = outcome with { ErrorCode = ErrorCode.UnknownTopicId };
                }
                result.Partitions.Add(new AlterPartitionResponse.PartitionData
                {
                    PartitionIndex = partition.PartitionIndex,
                    ErrorCode = (short)outcome.ErrorCode,
                    LeaderId = outcome.LeaderId,
                    LeaderEpoch = outcome.LeaderEpoch,
                    Isr = outcome.ErrorCode == ErrorCode.None ? [.. outcome.Isr] : [],
                    PartitionEpoch = outcome.PartitionEpoch,
                });
            }
        }
        request.Respond(response);
    }
}
