namespace Broker.Actors.Group.Consumer;

/// <summary>
/// Kafka's range assignor on the server: per topic, the subscribers in member-id order each take one contiguous
/// range (the first <c>partitions % members</c> take one more). Topics with the same partition count and the same
/// subscribers are therefore co-partitioned: a member gets the same partition numbers of each, as joins need.
/// </summary>
public sealed class RangeAssignor : IPartitionAssignor
{
    public string Name => "range";

    public IReadOnlyDictionary<string, Assignment> Assign(GroupSpec spec)
    {
        var memberIds = spec.Members.Keys.Order(StringComparer.Ordinal).ToList();
        var owned = memberIds.ToDictionary(m => m, _ => new List<(Guid, int)>(), StringComparer.Ordinal);
        var topics = spec.Members.Values.SelectMany(m => m.SubscribedTopicIds).Where(spec.TopicPartitionCounts.ContainsKey).Distinct().Order();
        foreach (var topicId in topics)
        {
            var subscribers = memberIds.Where(m => spec.Members[m].SubscribedTopicIds.Contains(topicId)).ToList();
            var partitions = spec.TopicPartitionCounts[topicId];
            var quota = partitions / subscribers.Count;
            var extra = partitions % subscribers.Count;
            var next = 0;
            for (var i = 0; i < subscribers.Count; i++)
            {
                var count = quota + (i < extra ? 1 : 0);
                for (var p = next; p < next + count; p++)
                {
                    owned[subscribers[i]].Add((topicId, p));
                }
                next += count;
            }
        }
        return PartitionAssignors.ToAssignments(memberIds, owned);
    }
}
