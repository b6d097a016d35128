using System.Collections.Immutable;
using Broker.Protocol.Metadata;
using static Broker.Actors.Metadata.PartitionLeaderElection;

namespace Broker.Actors.Metadata;

/// <summary>
/// Moving a partition's replicas (the cluster's rebalancing) as pure functions of the image, as Kafka's
/// ReplicationControlManager / PartitionReassignmentReplicas / PartitionChangeBuilder do it:
/// <list type="bullet">
/// <item>start: the replica set becomes target + the replicas to remove, with AddingReplicas (target minus
/// the replicas before the move) and RemovingReplicas (current minus target) in one PartitionChangeRecord;
/// the added replicas start on their brokers, copy the leader's log and join the ISR through AlterPartition;</item>
/// <item>complete: once every target replica is in the ISR, the replica set and ISR shrink to the target,
/// adding/removing clear and, if the leader was removed, a target replica of the ISR leads (a new leader
/// epoch) — folded into the PartitionChangeRecord of the ISR change that made it possible;</item>
/// <item>cancel: back to the replicas before the move (the added ones leave the ISR).</item>
/// </list>
/// </summary>
public static class ReplicaReassignment
{
    /// <summary>Kafka's checks of a manual assignment (INVALID_REPLICA_ASSIGNMENT); null when valid.</summary>
    public static string? Validate(MetadataImage image, IReadOnlyList<int> target)
    {
        if (target.Count == 0)
        {
            return "The manual partition assignment includes an empty replica list.";
        }
        int? previous = null;
        foreach (var brokerId in target.Order())
        {
            if (!image.Brokers.TryGetValue(brokerId, out var broker))
            {
                return $"The manual partition assignment includes broker {brokerId}, but no such broker is registered.";
            }
            if (brokerId == previous)
            {
                return $"The manual partition assignment includes the broker {brokerId} more than once.";
            }
            // Kafka accepts a fenced broker and the move then waits for it; refusing it up front keeps a
            // move from stalling on a broker that is down.
            if (broker.Fenced)
            {
                return $"The manual partition assignment includes broker {brokerId}, but that broker is fenced.";
            }
            previous = brokerId;
        }
        return null;
    }

    /// <summary>The replicas before the move in progress (all of them when none is).</summary>
    public static ImmutableArray<int> Original(PartitionImage p) =>
        p.AddingReplicas.IsEmpty ? p.Replicas : [.. p.Replicas.Where(r => !p.AddingReplicas.Contains(r))];

    /// <summary>The replicas the move in progress ends with (all of them when none is).</summary>
    public static ImmutableArray<int> Target(PartitionImage p) =>
        p.RemovingReplicas.IsEmpty ? p.Replicas : [.. p.Replicas.Where(r => !p.RemovingReplicas.Contains(r))];

    /// <summary>Starts (or replaces) a move of <paramref name="p"/> to <paramref name="target"/> (validated);
    /// completes it at once when the target is already in sync. Null: nothing changes.</summary>
    public static PartitionChangeRecord? Start(MetadataImage image, TopicImage topic, PartitionImage p, IReadOnlyList<int> target)
    {
        var original = Original(p);
        var adding = target.Where(r => !original.Contains(r)).ToImmutableArray();
        var removing = p.Replicas.Where(r => !target.Contains(r)).ToImmutableArray();
        var next = new State([.. target, .. removing], p.Isr, p.Leader, adding, removing);
        next = TryComplete(image, next);
        return Build(topic, p, next);
    }

    /// <summary>Cancels the move in progress: back to the replicas before it. Null with an error message when
    /// no replica of those is in sync (reverting would need an unclean election).</summary>
    public static (PartitionChangeRecord? Change, string? Error) Cancel(MetadataImage image, TopicImage topic, PartitionImage p)
    {
        var original = Original(p);
        var isr = p.Isr.Where(original.Contains).ToImmutableArray();
        if (isr.IsEmpty)
        {
            return (null, $"Unable to revert partition assignment for {topic.Name}:{p.Partition} because it would require an unclean leader election.");
        }
        var leader = original.Contains(p.Leader) ? p.Leader : original.FirstOrDefault(r => isr.Contains(r) && CanLead(image, r), NoLeader);
        return (Build(topic, p, new State(original, isr, leader, [], [])), null);
    }

    /// <summary>An ISR change (AlterPartition) of a partition being moved: the change, completing the move when
    /// the new ISR holds every target replica. Returns the partition's state after the change.</summary>
    public static State WithIsr(MetadataImage image, PartitionImage p, ImmutableArray<int> isr) =>
        TryComplete(image, new State(p.Replicas, isr, p.Leader, p.AddingReplicas, p.RemovingReplicas));

    /// <summary>The move is done once every target replica is in sync: drop the removed replicas (and a removed
    /// leader: the first in-sync target replica that can lead takes over; while none can, the old leader keeps
    /// serving and the move waits).</summary>
    private static State TryComplete(MetadataImage image, State s)
    {
        if (s.Adding.IsEmpty && s.Removing.IsEmpty)
        {
            return s;
        }
        var target = s.Replicas.Where(r => !s.Removing.Contains(r)).ToImmutableArray();
        if (!target.All(s.Isr.Contains))
        {
            return s;
        }
        var isr = s.Isr.Where(target.Contains).ToImmutableArray();
        var leader = s.Leader;
        if (!target.Contains(leader))
        {
            var elected = target.FirstOrDefault(r => isr.Contains(r) && CanLead(image, r), NoLeader);
            if (elected == NoLeader && leader != NoLeader)
            {
                return s;
            }
            leader = elected;
        }
        return new State(target, isr, leader, [], []);
    }

    /// <summary>A PartitionChangeRecord with what differs from <paramref name="p"/> (null when nothing does).</summary>
    public static PartitionChangeRecord? Build(TopicImage topic, PartitionImage p, State next)
    {
        var record = new PartitionChangeRecord { TopicId = topic.Id, PartitionId = p.Partition };
        var changed = false;
        if (!next.Replicas.SequenceEqual(p.Replicas))
        {
            record.Replicas = [.. next.Replicas];
            changed = true;
        }
        if (!next.Isr.SequenceEqual(p.Isr))
        {
            record.Isr = [.. next.Isr];
            changed = true;
        }
        if (next.Leader != p.Leader)
        {
            record.Leader = next.Leader;
            changed = true;
        }
        if (!next.Adding.SequenceEqual(p.AddingReplicas))
        {
            record.AddingReplicas = [.. next.Adding];
            changed = true;
        }
        if (!next.Removing.SequenceEqual(p.RemovingReplicas))
        {
            record.RemovingReplicas = [.. next.Removing];
            changed = true;
        }
        return changed ? record : null;
    }

    /// <summary>A partition's replica set, ISR, leader and move in progress.</summary>
    public readonly record struct State(ImmutableArray<int> Replicas, ImmutableArray<int> Isr, int Leader, ImmutableArray<int> Adding, ImmutableArray<int> Removing);
}
