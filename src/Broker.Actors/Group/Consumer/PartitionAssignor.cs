using System.Collections.Immutable;

namespace Broker.Actors.Group.Consumer;

/// <summary>What an assignor knows of one member: the topics it subscribes to and its current target assignment (for stickiness).</summary>
public sealed record AssignmentMemberSpec(IReadOnlySet<Guid> SubscribedTopicIds, Assignment CurrentAssignment);

/// <summary>The input of a server-side assignor: members by id, partition counts of the subscribed topics by id.</summary>
public sealed record GroupSpec(
    IReadOnlyDictionary<string, AssignmentMemberSpec> Members,
    IReadOnlyDictionary<Guid, int> TopicPartitionCounts);

/// <summary>A server-side assignor (Kafka's ConsumerGroupPartitionAssignor): deterministic, so a replayed group assigns alike.</summary>
public interface IPartitionAssignor
{
    string Name { get; }

    /// <summary>The target assignment of every member of the spec (members with nothing get an empty assignment).</summary>
    IReadOnlyDictionary<string, Assignment> Assign(GroupSpec spec);
}

/// <summary>The assignors a broker offers, by the names <c>group.consumer.assignors</c> and ServerAssignor use.</summary>
public static class PartitionAssignors
{
    public static IPartitionAssignor? ByName(string name) => name.Trim() switch
    {
        "uniform" or "org.apache.kafka.coordinator.group.assignor.UniformAssignor" => new UniformAssignor(),
        "range" or "org.apache.kafka.coordinator.group.assignor.RangeAssignor" => new RangeAssignor(),
        _ => null,
    };

    internal static IReadOnlyDictionary<string, Assignment> ToAssignments(IEnumerable<string> memberIds, Dictionary<string, List<(Guid, int)>> owned) =>
        memberIds.ToDictionary(m => m, m => owned.TryGetValue(m, out var list) ? Assignment.FromPairs(list) : Assignment.Empty, StringComparer.Ordinal);

    internal static IEnumerable<(Guid TopicId, int Partition)> SubscribedPartitions(GroupSpec spec)
    {
        var topics = spec.Members.Values.SelectMany(m => m.SubscribedTopicIds).Where(spec.TopicPartitionCounts.ContainsKey).ToImmutableSortedSet();
        foreach (var topicId in topics)
        {
            for (var p = 0; p < spec.TopicPartitionCounts[topicId]; p++)
            {
                yield return (topicId, p);
            }
        }
    }
}
