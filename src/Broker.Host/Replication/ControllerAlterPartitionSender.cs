using System.Collections.Immutable;
using Broker.Actors.Metadata;
using Broker.Actors.Partition;
using Broker.Protocol.Messages;

namespace Broker.Host.Replication;

/// <summary>
/// A partition leader's way to the controller with AlterPartition. While this node runs (or, in tests,
/// shares) the controller it asks it directly; a node without one answers NOT_CONTROLLER, and the leader
/// retries at its next ISR check.
/// </summary>
internal sealed class ControllerAlterPartitionSender(Func<IMetadataController?> controller) : IAlterPartitionSender
{
    public Task<AlterPartitionOutcome> AlterPartitionAsync(AlterPartitionProposal proposal) =>
        controller() is QuorumController local
            ? local.AlterPartitionAsync(proposal)
            : Task.FromResult(new AlterPartitionOutcome(ErrorCode.NotController, -1, -1, -1, ImmutableArray<int>.Empty));
}
