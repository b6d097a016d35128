using Broker.Actors.Group.Consumer;

namespace Broker.Actors.Tests.Group.Consumer;

/// <summary>
/// Seeded random runs of joins, leaves, slow revocations, silent members and timeouts: at every step no partition
/// is used by two live members, and once everyone heartbeats normally the group converges to a balanced assignment.
/// Replay a failing seed with KIP848_SEED.
/// </summary>
public sealed class ConsumerGroupSimulationTests
{
    private const string Group = "sim";

    public static IEnumerable<object[]> Seeds()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("KIP848_SEED"), out var only))
        {
            yield return [only];
            yield break;
        }
        for (var seed = 1; seed <= 40; seed++)
        {
            yield return [seed];
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_membership_changes_never_share_a_partition_and_converge(int seed)
    {
        var random = new Random(seed);
        var topics = new FakeTopics();
        topics.Add("a", 5);
        topics.Add("b", 3);
        var config = ConsumerGroupConfig.Default with { SessionTimeoutMs = 3000 };
        var ids = 0;
        var c = new ConsumerGroupCoordinator(config, newMemberId: () => $"m{++ids}");
        var members = new List<SimMember>();
        var lazy = new HashSet<SimMember>();
        var silent = new HashSet<SimMember>();
        long now = 0;

        for (var step = 0; step < 300; step++)
        {
            now += random.Next(0, 400);
            var roll = random.Next(100);
            if (roll < 8 || members.Count == 0)
            {
                var subscription = random.Next(3) switch { 0 => new[] { "a" }, 1 => ["b"], _ => ["a", "b"] };
                var assignor = random.Next(4) == 0 ? "range" : null;
                members.Add(new SimMember(Group, subscription, instanceId: random.Next(4) == 0 ? $"i{step}" : null, assignor: assignor));
            }
            else if (roll < 12)
            {
                var m = members[random.Next(members.Count)];
                if (m.MemberId.Length > 0)
                {
                    m.Leave(c, now, topics);
                }
                members.Remove(m);
            }
            else if (roll < 16)
            {
                // Slow to revoke for a while: heartbeats without its owned partitions.
                var m = members[random.Next(members.Count)];
                if (!lazy.Remove(m))
                {
                    lazy.Add(m);
                }
            }
            else if (roll < 18)
            {
                // Goes quiet; its session will run out.
                silent.Add(members[random.Next(members.Count)]);
            }
            else
            {
                var m = members[random.Next(members.Count)];
                if (!silent.Contains(m))
                {
                    Beat(c, m, lazy.Contains(m), now, topics);
                }
            }
            c.Tick(now, topics);
            ForgetFenced(c, members);
            AssertNoSharedPartitions(c, members);
        }

        // Everyone heartbeats normally now: the group settles.
        foreach (var m in silent.Where(members.Contains).ToList())
        {
            members.Remove(m);
        }
        now += config.SessionTimeoutMs + 1;
        foreach (var m in members)
        {
            if (m.MemberId.Length > 0)
            {
                Beat(c, m, lazy: false, now - 1, topics);
            }
        }
        c.Tick(now, topics);
        ForgetFenced(c, members);
        for (var round = 0; round < 30; round++)
        {
            foreach (var m in members)
            {
                Beat(c, m, lazy: false, now, topics);
                AssertNoSharedPartitions(c, members);
            }
        }
        var group = c.Group(Group);
        if (members.Count == 0)
        {
            Assert.True(group is null || group.Members.Count == 0);
            return;
        }
        Assert.Equal(ConsumerGroupState.Stable, group!.State);
        Assert.All(members, m => Assert.Equal(group.AssignmentEpoch, m.Epoch));
        // Every partition of a subscribed topic is used by exactly one member.
        var subscribed = members.SelectMany(m => m.Request().SubscribedTopicNames!).Distinct().ToList();
        var expected = subscribed.Sum(t => topics.ByName(t)!.NumPartitions);
        Assert.Equal(expected, members.Sum(m => m.Owned.Count));
    }

    private static void Beat(ConsumerGroupCoordinator c, SimMember m, bool lazy, long now, IConsumerGroupTopics topics)
    {
        var request = m.Request();
        if (lazy && m.Epoch > 0)
        {
            request.TopicPartitions = null;
        }
        var r = m.Heartbeat(c, now, topics, request);
        if (r.ErrorCode != 0)
        {
            // Fenced or unknown: drop everything and join again, as clients do.
            Assert.Contains(r.ErrorCode, new short[] { 25, 110, 111 });
            m.MemberId = r.ErrorCode == 111 ? m.MemberId : string.Empty;
            m.Epoch = 0;
            m.Owned = Assignment.Empty;
        }
    }

    /// <summary>A member the coordinator fenced has lost its partitions (its session is over), as a real client learns on its next call.</summary>
    private static void ForgetFenced(ConsumerGroupCoordinator c, List<SimMember> members)
    {
        var group = c.Group(Group);
        foreach (var m in members)
        {
            if (m.MemberId.Length > 0 && m.Epoch > 0 && group?.Member(m.MemberId) is null)
            {
                m.MemberId = string.Empty;
                m.Epoch = 0;
                m.Owned = Assignment.Empty;
            }
        }
    }

    private static void AssertNoSharedPartitions(ConsumerGroupCoordinator c, List<SimMember> members)
    {
        var used = members.SelectMany(m => m.Owned.All()).ToList();
        Assert.Equal(used.Count, used.Distinct().Count());
        // On the coordinator side too: owned and pending-revocation sets never overlap between members.
        if (c.Group(Group) is { } group)
        {
            var held = group.Members.Values.SelectMany(m => m.AssignedPartitions.All().Concat(m.PartitionsPendingRevocation.All())).ToList();
            Assert.Equal(held.Count, held.Distinct().Count());
        }
    }
}
