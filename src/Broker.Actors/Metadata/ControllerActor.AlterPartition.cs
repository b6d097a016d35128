using System.Collections.Immutable;
using Broker.Actors.Partition;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;

namespace Broker.Actors.Metadata;

/// <summary>
/// The controller side of partition leadership and ISR changes, as Kafka's ReplicationControlManager:
/// AlterPartition (api 56) from a partition leader, checked against the image (the sender must lead
/// the partition in the same leader epoch — else FENCED_LEADER_EPOCH — and know the current partition
/// epoch — else INVALID_UPDATE_VERSION), committed as a PartitionChangeRecord that bumps the partition
/// epoch. <see cref="ElectLeader"/> moves leadership to another ISR member (a new leader epoch).
/// </summary>
internal sealed partial class ControllerActor
{
    internal sealed record AlterPartition(AlterPartitionProposal Proposal) : ICommand;

    /// <summary>Makes <paramref name="NewLeader"/> the leader of a partition (it must be in the ISR unless
    /// <paramref name="Unclean"/>); answers an <see cref="AlterPartitionOutcome"/>.</summary>
    internal sealed record ElectLeader(string Topic, int Partition, int NewLeader, bool Unclean) : ICommand;

    private ControllerResult HandleAlterPartition(AlterPartition command)
    {
        var (outcome, record) = DecideAlterPartition(Image, command.Proposal);
        return ControllerResult.Of(outcome, record is null ? [] : [record]);
    }

    /// <summary>The decision alone (no commit): the answer, and the record to commit when the ISR changes.</summary>
    internal static (AlterPartitionOutcome Outcome, PartitionChangeRecord? Record) DecideAlterPartition(MetadataImage image, AlterPartitionProposal proposal)
    {
        var topic = proposal.TopicId != Guid.Empty ? image.Topic(proposal.TopicId) : image.Topic(proposal.Topic);
        if (topic is null)
        {
            return (Failed(proposal.TopicId != Guid.Empty ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition), null);
        }
        var partition = topic.Partitions.FirstOrDefault(p => p.Partition == proposal.Partition);
        if (partition is null)
        {
            return (Failed(ErrorCode.UnknownTopicOrPartition), null);
        }
        if (proposal.LeaderEpoch != partition.LeaderEpoch)
        {
            return (Failed(ErrorCode.FencedLeaderEpoch), null);
        }
        if (proposal.BrokerId != partition.Leader)
        {
            return (Failed(ErrorCode.InvalidRequest), null);
        }
        if (proposal.PartitionEpoch != partition.PartitionEpoch)
        {
            return (Failed(ErrorCode.InvalidUpdateVersion), null);
        }
        var newIsr = proposal.NewIsr;
        if (newIsr.IsEmpty || !newIsr.Contains(partition.Leader) || newIsr.Distinct().Count() != newIsr.Length
            || newIsr.Any(r => !partition.Replicas.Contains(r)))
        {
            return (Failed(ErrorCode.InvalidRequest), null);
        }
        // A fenced (or unknown) broker cannot join the ISR; one already in it may stay while it leaves.
        if (newIsr.Any(r => !partition.Isr.Contains(r) && (!image.Brokers.TryGetValue(r, out var b) || b.Fenced)))
        {
            return (Failed(ErrorCode.IneligibleReplica), null);
        }
        if (newIsr.Order().SequenceEqual(partition.Isr.Order()))
        {
            return (new AlterPartitionOutcome(ErrorCode.None, partition.Leader, partition.LeaderEpoch, partition.PartitionEpoch, partition.Isr), null);
        }
        if (partition.IsReassigning)
        {
            // The ISR change may complete a move (every target replica in sync): one record does both.
            var next = ReplicaReassignment.WithIsr(image, partition, newIsr);
            var change = ReplicaReassignment.Build(topic, partition, next)!;
            var leaderEpoch = next.Leader == partition.Leader ? partition.LeaderEpoch : partition.LeaderEpoch + 1;
            return (new AlterPartitionOutcome(ErrorCode.None, next.Leader, leaderEpoch, partition.PartitionEpoch + 1, next.Isr), change);
        }
        var record = new PartitionChangeRecord { TopicId = topic.Id, PartitionId = partition.Partition, Isr = [.. newIsr] };
        return (new AlterPartitionOutcome(ErrorCode.None, partition.Leader, partition.LeaderEpoch, partition.PartitionEpoch + 1, newIsr), record);
    }

    private ControllerResult HandleElectLeader(ElectLeader command)
    {
        var image = Image;
        var partition = image.Topic(command.Topic)?.Partitions.FirstOrDefault(p => p.Partition == command.Partition);
        if (partition is null)
        {
            return ControllerResult.Of(Failed(ErrorCode.UnknownTopicOrPartition), []);
        }
        if (!partition.Replicas.Contains(command.NewLeader) || (!command.Unclean && !partition.Isr.Contains(command.NewLeader)))
        {
            return ControllerResult.Of(Failed(ErrorCode.EligibleLeadersNotAvailable), []);
        }
        if (partition.Leader == command.NewLeader)
        {
            return ControllerResult.Of(Failed(ErrorCode.ElectionNotNeeded), []);
        }
        // An unclean leader starts a new ISR of itself (its log is the truth from now on).
        var isr = partition.Isr.Contains(command.NewLeader) ? partition.Isr : [command.NewLeader];
        var record = new PartitionChangeRecord
        {
            TopicId = image.Topic(command.Topic)!.Id, PartitionId = command.Partition, Leader = command.NewLeader,
            Isr = isr == partition.Isr ? null : [.. isr],
        };
        return ControllerResult.Of(new AlterPartitionOutcome(ErrorCode.None, command.NewLeader, partition.LeaderEpoch + 1, partition.PartitionEpoch + 1, isr), [record]);
    }

    private static AlterPartitionOutcome Failed(ErrorCode code) => new(code, -1, -1, -1, ImmutableArray<int>.Empty);
}
