using System.Collections.Immutable;
using Broker.Protocol.Messages;

namespace Broker.Actors.Partition;

/// <summary>
/// A local replica's role as its partition actor last applied it from the metadata image: leader or
/// follower, the leader's id and epoch, the partition epoch and the ISR. Published on the
/// <see cref="PartitionHandle"/> so request handlers check leadership and epochs without asking the actor.
/// </summary>
public sealed record PartitionState(
    bool IsLeader,
    int LeaderId,
    int LeaderEpoch,
    int PartitionEpoch,
    ImmutableArray<int> Replicas,
    ImmutableArray<int> Isr)
{
    /// <summary>A replica outside any cluster (tests, tools): leader of itself, epoch 0, ISR of one.</summary>
    public static readonly PartitionState Standalone = new(true, -1, 0, 0, [-1], [-1]);

    public bool IsFollower => !IsLeader && LeaderId >= 0;

    /// <summary>Kafka's check of a request's current leader epoch against ours: -1 skips it; older is
    /// FENCED_LEADER_EPOCH (the sender is behind), newer UNKNOWN_LEADER_EPOCH (we are behind).</summary>
    public ErrorCode CheckEpoch(int currentLeaderEpoch) =>
        currentLeaderEpoch < 0 || currentLeaderEpoch == LeaderEpoch ? ErrorCode.None
        : currentLeaderEpoch < LeaderEpoch ? ErrorCode.FencedLeaderEpoch
        : ErrorCode.UnknownLeaderEpoch;
}
