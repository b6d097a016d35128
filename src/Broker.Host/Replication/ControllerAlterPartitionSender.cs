using System.Collections.Immutable;
using Broker.Actors.Metadata;
using Broker.Actors.Partition;
using Broker.Host.Cluster;
using Broker.Protocol.Messages;

namespace Broker.Host.Replication;

/// <summary>
/// A partition leader's way to the controller with AlterPartition: in-process while this node is the
/// active controller, else AlterPartition (56) to the active controller over the wire. Without one the
/// answer is NOT_CONTROLLER, and the leader retries at its next ISR check.
/// </summary>
internal sealed class ControllerAlterPartitionSender(Func<ControllerChannel?> channel, Func<long> brokerEpoch) : IAlterPartitionSender
{
    private static readonly AlterPartitionOutcome NotController = new(ErrorCode.NotController, -1, -1, -1, ImmutableArray<int>.Empty);

    public async Task<AlterPartitionOutcome> AlterPartitionAsync(AlterPartitionProposal proposal)
    {
        if (channel() is not { } controllers)
        {
            return NotController;
        }
        if (controllers.LocalActive is { } local)
        {
            try
            {
                return await local.AlterPartitionAsync(proposal).ConfigureAwait(false);
            }
            catch (NotControllerException)
            {
                return NotController;
            }
        }
        var request = new AlterPartitionRequest
        {
            BrokerId = proposal.BrokerId,
            BrokerEpoch = brokerEpoch(),
            Topics =
            [
                new AlterPartitionRequest.TopicData
                {
                    TopicId = proposal.TopicId,
                    TopicName = proposal.Topic,
                    Partitions =
                    [
                        new AlterPartitionRequest.PartitionData
                        {
                            PartitionIndex = proposal.Partition,
                            LeaderEpoch = proposal.LeaderEpoch,
                            PartitionEpoch = proposal.PartitionEpoch,
                            NewIsr = [.. proposal.NewIsr],
                        },
                    ],
                },
            ],
        };
        var response = await controllers.SendAsync<AlterPartitionResponse>(request, 2).ConfigureAwait(false);
        if (response is null || response.ErrorCode != 0)
        {
            return response is null ? NotController : NotController with { ErrorCode = (ErrorCode)response.ErrorCode };
        }
        var p = response.Topics.SelectMany(t => t.Partitions).FirstOrDefault();
        return p is null
            ? NotController with { ErrorCode = ErrorCode.UnknownServerError }
            : new AlterPartitionOutcome((ErrorCode)p.ErrorCode, p.LeaderId, p.LeaderEpoch, p.PartitionEpoch, [.. p.Isr]);
    }
}
