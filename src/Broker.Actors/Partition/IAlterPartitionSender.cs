using System.Collections.Immutable;
using Broker.Protocol.Messages;

namespace Broker.Actors.Partition;

/// <summary>A leader's proposal to change its ISR (Kafka's AlterPartition, api 56), at the epochs it knows.</summary>
public sealed record AlterPartitionProposal(
    int BrokerId,
    Guid TopicId,
    string Topic,
    int Partition,
    int LeaderEpoch,
    int PartitionEpoch,
    ImmutableArray<int> NewIsr);

/// <summary>The controller's answer: on success the committed leader, epochs and ISR.</summary>
public sealed record AlterPartitionOutcome(
    ErrorCode ErrorCode,
    int LeaderId,
    int LeaderEpoch,
    int PartitionEpoch,
    ImmutableArray<int> Isr);

/// <summary>
/// How a partition leader reaches the active controller with an ISR change. On one process (or with a
/// shared controller in tests) it calls the controller directly; in a cluster it sends AlterPartition to
/// the active controller over the wire.
/// </summary>
public interface IAlterPartitionSender
{
    Task<AlterPartitionOutcome> AlterPartitionAsync(AlterPartitionProposal proposal);
}

/// <summary>What every replica on a node shares: the node id, the ISR lag limit, the way to the controller.</summary>
public sealed record ReplicaContext(int NodeId, long ReplicaLagTimeMaxMs, IAlterPartitionSender? AlterPartition, TimeProvider Time)
{
    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Whether a broker may join an ISR as this node's metadata sees it (Kafka's isReplicaIsrEligible,
    /// KIP-841): registered, not fenced, not in controlled shutdown. The controller refuses others with
    /// INELIGIBLE_REPLICA; asking first spares it a proposal per follower fetch while a restarted broker
    /// catches up fenced. Null: every broker is eligible.
    /// </summary>
    public Func<int, bool>? IsBrokerEligible { get; init; }
}
