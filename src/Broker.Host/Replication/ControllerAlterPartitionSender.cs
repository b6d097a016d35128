using System.Collections.Immutable;
using Broker.Actors.Configs;
using Broker.Actors.Metadata;
using Broker.Actors.Partition;
using Broker.Host.Network.Client;
using Broker.Protocol.Messages;

namespace Broker.Host.Replication;

/// <summary>
/// A partition leader's way to the active controller with AlterPartition (56). While this node's own
/// controller is active (or, in tests, a shared one is used) it is asked directly; otherwise the request
/// goes over the wire to the quorum leader's controller endpoint (controller.quorum.voters). Without a
/// known leader the answer is NOT_CONTROLLER, and the partition leader retries at its next ISR check.
/// </summary>
internal sealed class ControllerAlterPartitionSender(
    Func<IMetadataController?> controller,
    Func<QuorumLeader> quorumLeader,
    IReadOnlyList<QuorumVoter> voters,
    NodeConnectionPool pool) : IAlterPartitionSender
{
    public async Task<AlterPartitionOutcome> AlterPartitionAsync(AlterPartitionProposal proposal)
    {
        var local = controller() as QuorumController;
        if (local is not null && (local.IsActive || voters.Count <= 1))
        {
            return await local.AlterPartitionAsync(proposal).ConfigureAwait(false);
        }
        var leader = quorumLeader();
        var voter = voters.FirstOrDefault(v => v.NodeId == leader.LeaderId);
        if (voter is null)
        {
            return local is not null ? await local.AlterPartitionAsync(proposal).ConfigureAwait(false) : Failed(ErrorCode.NotController);
        }
        var connection = await pool.GetAsync(voter.Host, voter.Port).ConfigureAwait(false);
        var response = await connection.SendAsync<AlterPartitionResponse>(new AlterPartitionRequest
        {
            BrokerId = proposal.BrokerId,
            BrokerEpoch = -1,
            Topics = [new AlterPartitionRequest.TopicData
            {
                TopicId = proposal.TopicId,
                Partitions = [new AlterPartitionRequest.PartitionData
                {
                    PartitionIndex = proposal.Partition,
                    LeaderEpoch = proposal.LeaderEpoch,
                    PartitionEpoch = proposal.PartitionEpoch,
                    NewIsrWithEpochs = [.. proposal.NewIsr.Select(id => new AlterPartitionRequest.BrokerState { BrokerId = id, BrokerEpoch = -1 })],
                }],
            }],
        }, 3, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (response.ErrorCode != 0)
        {
            return Failed((ErrorCode)response.ErrorCode);
        }
        var p = response.Topics.SelectMany(t => t.Partitions).FirstOrDefault(x => x.PartitionIndex == proposal.Partition);
        return p is null
            ? Failed(ErrorCode.UnknownServerError)
            : new AlterPartitionOutcome((ErrorCode)p.ErrorCode, p.LeaderId, p.LeaderEpoch, p.PartitionEpoch, [.. p.Isr]);
    }

    private static AlterPartitionOutcome Failed(ErrorCode code) => new(code, -1, -1, -1, ImmutableArray<int>.Empty);
}
