using System.Collections.Immutable;

namespace Broker.Actors.Group.Consumer;

/// <summary>
/// Partitions by topic id (Kafka's <c>Assignment</c> / <c>Map&lt;Uuid, Set&lt;Integer&gt;&gt;</c>), immutable and
/// sorted so records, responses and assignor output come out in one deterministic order. Empty topics are dropped.
/// </summary>
public sealed class Assignment : IEquatable<Assignment>
{
    public static readonly Assignment Empty = new(ImmutableSortedDictionary<Guid, ImmutableSortedSet<int>>.Empty);

    private Assignment(ImmutableSortedDictionary<Guid, ImmutableSortedSet<int>> partitions) => Partitions = partitions;

    public ImmutableSortedDictionary<Guid, ImmutableSortedSet<int>> Partitions { get; }

    public bool IsEmpty => Partitions.IsEmpty;

    public int Count => Partitions.Values.Sum(p => p.Count);

    public static Assignment From(IEnumerable<KeyValuePair<Guid, ImmutableSortedSet<int>>> partitions)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<Guid, ImmutableSortedSet<int>>();
        foreach (var (topicId, set) in partitions)
        {
            if (set.Count > 0)
            {
                builder[topicId] = builder.TryGetValue(topicId, out var existing) ? existing.Union(set) : set;
            }
        }
        return builder.Count == 0 ? Empty : new Assignment(builder.ToImmutable());
    }

    public static Assignment From(IEnumerable<(Guid TopicId, IEnumerable<int> Partitions)> topics) =>
        From(topics.Select(t => new KeyValuePair<Guid, ImmutableSortedSet<int>>(t.TopicId, t.Partitions.ToImmutableSortedSet())));

    public static Assignment FromPairs(IEnumerable<(Guid TopicId, int Partition)> pairs) =>
        From(pairs.GroupBy(p => p.TopicId).Select(g => (g.Key, g.Select(p => p.Partition))));

    public ImmutableSortedSet<int> Get(Guid topicId) => Partitions.GetValueOrDefault(topicId) ?? ImmutableSortedSet<int>.Empty;

    public bool Contains(Guid topicId, int partition) => Partitions.TryGetValue(topicId, out var set) && set.Contains(partition);

    public IEnumerable<(Guid TopicId, int Partition)> All()
    {
        foreach (var (topicId, set) in Partitions)
        {
            foreach (var p in set)
            {
                yield return (topicId, p);
            }
        }
    }

    public bool Equals(Assignment? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }
        if (other is null || other.Partitions.Count != Partitions.Count)
        {
            return false;
        }
        foreach (var (topicId, set) in Partitions)
        {
            if (!other.Partitions.TryGetValue(topicId, out var theirs) || !set.SetEquals(theirs))
            {
                return false;
            }
        }
        return true;
    }

    public override bool Equals(object? obj) => obj is Assignment other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Partitions.Count, Count);

    public override string ToString() =>
        "{" + string.Join(", ", Partitions.Select(p => $"{p.Key}: [{string.Join(",", p.Value)}]")) + "}";
}
