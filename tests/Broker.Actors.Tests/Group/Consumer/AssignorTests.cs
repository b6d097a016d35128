using Broker.Actors.Group.Consumer;

namespace Broker.Actors.Tests.Group.Consumer;

/// <summary>The server-side assignors: uniform balances and sticks, range co-partitions.</summary>
public sealed class AssignorTests
{
    private static readonly Guid TopicA = new("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid TopicB = new("00000000-0000-0000-0000-00000000000b");

    private static GroupSpec Spec(Dictionary<Guid, int> topics, params (string Id, Guid[] Topics, Assignment? Current)[] members) =>
        new(members.ToDictionary(m => m.Id, m => new AssignmentMemberSpec(m.Topics.ToHashSet(), m.Current ?? Assignment.Empty)), topics);

    private static void AssertEachPartitionOnce(IReadOnlyDictionary<string, Assignment> result, Dictionary<Guid, int> topics)
    {
        var all = result.Values.SelectMany(a => a.All()).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(topics.Values.Sum(), all.Count);
    }

    [Fact]
    public void Uniform_balances_within_one_partition()
    {
        var topics = new Dictionary<Guid, int> { [TopicA] = 7, [TopicB] = 3 };
        var result = new UniformAssignor().Assign(Spec(topics,
            ("m1", [TopicA, TopicB], null), ("m2", [TopicA, TopicB], null), ("m3", [TopicA, TopicB], null)));
        AssertEachPartitionOnce(result, topics);
        var counts = result.Values.Select(a => a.Count).ToList();
        Assert.True(counts.Max() - counts.Min() <= 1, string.Join(",", counts));
    }

    [Fact]
    public void Uniform_moves_only_what_a_new_member_needs()
    {
        var topics = new Dictionary<Guid, int> { [TopicA] = 6 };
        var first = new UniformAssignor().Assign(Spec(topics, ("m1", [TopicA], null), ("m2", [TopicA], null)));
        Assert.Equal(3, first["m1"].Count);
        var second = new UniformAssignor().Assign(Spec(topics,
            ("m1", [TopicA], first["m1"]), ("m2", [TopicA], first["m2"]), ("m3", [TopicA], null)));
        AssertEachPartitionOnce(second, topics);
        Assert.All(second.Values, a => Assert.Equal(2, a.Count));
        // Sticky: each old member keeps two of its three, so exactly two partitions move (to m3).
        Assert.Equal(2, second["m1"].All().Intersect(first["m1"].All()).Count());
        Assert.Equal(2, second["m2"].All().Intersect(first["m2"].All()).Count());
    }

    [Fact]
    public void Uniform_keeps_everything_when_a_member_leaves_and_only_spreads_its_partitions()
    {
        var topics = new Dictionary<Guid, int> { [TopicA] = 6 };
        var three = new UniformAssignor().Assign(Spec(topics, ("m1", [TopicA], null), ("m2", [TopicA], null), ("m3", [TopicA], null)));
        var two = new UniformAssignor().Assign(Spec(topics, ("m1", [TopicA], three["m1"]), ("m2", [TopicA], three["m2"])));
        AssertEachPartitionOnce(two, topics);
        Assert.True(three["m1"].All().All(tp => two["m1"].Contains(tp.TopicId, tp.Partition)));
        Assert.True(three["m2"].All().All(tp => two["m2"].Contains(tp.TopicId, tp.Partition)));
        Assert.Equal(3, two["m1"].Count);
    }

    [Fact]
    public void Uniform_gives_a_topic_only_to_its_subscribers()
    {
        var topics = new Dictionary<Guid, int> { [TopicA] = 4, [TopicB] = 4 };
        var result = new UniformAssignor().Assign(Spec(topics, ("m1", [TopicA], null), ("m2", [TopicA, TopicB], null), ("m3", [TopicB], null)));
        AssertEachPartitionOnce(result, topics);
        Assert.DoesNotContain(TopicB, result["m1"].Partitions.Keys);
        Assert.DoesNotContain(TopicA, result["m3"].Partitions.Keys);
        Assert.All(result.Values, a => Assert.InRange(a.Count, 2, 3));
    }

    [Fact]
    public void Uniform_is_deterministic()
    {
        var topics = new Dictionary<Guid, int> { [TopicA] = 10, [TopicB] = 5 };
        var spec = Spec(topics, ("b", [TopicA, TopicB], null), ("a", [TopicA], null), ("c", [TopicB, TopicA], null));
        var x = new UniformAssignor().Assign(spec);
        var y = new UniformAssignor().Assign(spec);
        Assert.All(x, kv => Assert.Equal(kv.Value, y[kv.Key]));
    }

    [Fact]
    public void Range_co_partitions_topics_with_equal_partition_counts()
    {
        var topics = new Dictionary<Guid, int> { [TopicA] = 5, [TopicB] = 5 };
        var result = new RangeAssignor().Assign(Spec(topics, ("m2", [TopicA, TopicB], null), ("m1", [TopicA, TopicB], null)));
        AssertEachPartitionOnce(result, topics);
        foreach (var a in result.Values)
        {
            Assert.Equal(a.Get(TopicA), a.Get(TopicB));
        }
        // Member-id order, contiguous ranges, the first takes the extra partition.
        Assert.Equal([0, 1, 2], result["m1"].Get(TopicA));
        Assert.Equal([3, 4], result["m2"].Get(TopicA));
    }

    [Fact]
    public void Range_assigns_each_topic_among_its_own_subscribers()
    {
        var topics = new Dictionary<Guid, int> { [TopicA] = 4, [TopicB] = 2 };
        var result = new RangeAssignor().Assign(Spec(topics, ("m1", [TopicA], null), ("m2", [TopicA, TopicB], null)));
        AssertEachPartitionOnce(result, topics);
        Assert.Equal([0, 1], result["m1"].Get(TopicA));
        Assert.Equal([2, 3], result["m2"].Get(TopicA));
        Assert.Equal([0, 1], result["m2"].Get(TopicB));
    }

    [Fact]
    public void Assignors_are_found_by_short_and_class_names()
    {
        Assert.Equal("uniform", PartitionAssignors.ByName("uniform")!.Name);
        Assert.Equal("range", PartitionAssignors.ByName("org.apache.kafka.coordinator.group.assignor.RangeAssignor")!.Name);
        Assert.Null(PartitionAssignors.ByName("roundrobin"));
    }
}
