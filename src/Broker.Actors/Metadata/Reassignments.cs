namespace Broker.Actors.Metadata;

/// <summary>ElectLeaders' election type (Kafka's ElectionType): the preferred replica, or any live replica
/// of a leaderless partition (unclean, when no in-sync replica is left).</summary>
public enum ElectionType : sbyte
{
    Preferred = 0,
    Unclean = 1,
}

/// <summary>Some partitions of one topic (ElectLeaders, ListPartitionReassignments).</summary>
public sealed record TopicPartitions(string Topic, IReadOnlyList<int> Partitions);

/// <summary>One partition's outcome, with Kafka's error code (0 = none).</summary>
public sealed record PartitionResult(int Partition, short ErrorCode, string? ErrorMessage);

/// <summary>The outcomes for one topic's partitions.</summary>
public sealed record TopicPartitionResults(string Topic, IReadOnlyList<PartitionResult> Partitions);

/// <summary>AlterPartitionReassignments for one partition: the target replicas (the first is the
/// preferred leader), or null to cancel the reassignment in progress.</summary>
public sealed record PartitionReassignment(int Partition, IReadOnlyList<int>? Replicas);

public sealed record TopicReassignment(string Topic, IReadOnlyList<PartitionReassignment> Partitions);

/// <summary>A reassignment in progress (ListPartitionReassignments): the full replica set during the move
/// and the replicas being added and removed.</summary>
public sealed record OngoingReassignment(string Topic, int Partition, IReadOnlyList<int> Replicas, IReadOnlyList<int> AddingReplicas, IReadOnlyList<int> RemovingReplicas);
