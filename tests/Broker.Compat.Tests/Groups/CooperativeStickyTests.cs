using System.Text.Json;
using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Groups;

/// <summary>
/// Incremental cooperative rebalancing with librdkafka's cooperative-sticky assignor: the coordinator
/// must let members keep their partitions across generations. When a member joins, only the
/// partitions that must move are revoked; when one leaves, the others only gain partitions.
/// </summary>
public sealed class CooperativeStickyTests
{
    private const int Partitions = 6;

    [Fact(Timeout = 180_000)]
    public async Task A_joining_member_moves_only_the_partitions_that_must_move()
    {
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions
        {
            Settings = new Dictionary<string, string> { ["group.initial.rebalance.delay.ms"] = "0", ["offsets.topic.num.partitions"] = "3" },
        });
        var bs = broker.BootstrapServers;
        var topic = $"coop-{Guid.NewGuid():N}"[..16];
        var group = "g-" + topic;
        await new ClientScripts(CompatClient.ConfluentKafka, bs).CreateTopicAsync(topic, Partitions);

        await using var producer = GroupMembers.StartProducer(bs, topic, Partitions);
        await using var x = Member("X", bs, group, topic);
        await using var y = Member("Y", bs, group, topic);
        ClientProcess[] all = [producer, x, y];
        await GroupMembers.UntilAsync(() => GroupMembers.Balanced(Partitions, x, y) && GroupTimeline.Held(x.Lines).Count == 3, "X and Y holding three partitions each", all);
        var (xBefore, yBefore) = (GroupTimeline.Held(x.Lines), GroupTimeline.Held(y.Lines));
        var (xMark, yMark) = (x.Lines.Count, y.Lines.Count);

        await using var z = Member("Z", bs, group, topic);
        all = [producer, x, y, z];
        await GroupMembers.UntilAsync(() => GroupMembers.Balanced(Partitions, x, y, z) && new[] { x, y, z }.All(m => GroupTimeline.Held(m.Lines).Count == 2),
            "X, Y and Z holding two partitions each", all);
        var outputs = Outputs(x, y, z);
        var xRevoked = Changes(x.Lines.Skip(xMark), "revoke");
        var yRevoked = Changes(y.Lines.Skip(yMark), "revoke");
        Assert.True(xRevoked.Count == 1 && yRevoked.Count == 1, $"X gave up {string.Join(",", xRevoked)}, Y {string.Join(",", yRevoked)}: one each must move\n{outputs}");
        // What stayed was never revoked, and nothing came back: X and Y only lost what Z got.
        Assert.Equal(xBefore.Except(xRevoked).Order(), GroupTimeline.Held(x.Lines).Order());
        Assert.Equal(yBefore.Except(yRevoked).Order(), GroupTimeline.Held(y.Lines).Order());
        Assert.Empty(Changes(x.Lines.Skip(xMark), "assign"));
        Assert.Empty(Changes(y.Lines.Skip(yMark), "assign"));
        Assert.Equal(xRevoked.Concat(yRevoked).Order(), GroupTimeline.Held(z.Lines).Order());
        Assert.All(new[] { x, y, z }.SelectMany(m => m.Lines).Where(l => l.GetProperty("ev").GetString() is "assign" or "revoke"),
            l => Assert.True(l.GetProperty("incremental").GetBoolean()));

        // X leaves: Y and Z gain its partitions and give up none of their own.
        var (yLeft, zLeft) = (GroupTimeline.Held(y.Lines), GroupTimeline.Held(z.Lines));
        (yMark, var zMark) = (y.Lines.Count, z.Lines.Count);
        await x.CloseInputAsync(TimeSpan.FromSeconds(30));
        await GroupMembers.UntilAsync(() => GroupMembers.Balanced(Partitions, y, z), "Y and Z holding every partition after X left", all);
        Assert.Empty(Changes(y.Lines.Skip(yMark), "revoke"));
        Assert.Empty(Changes(z.Lines.Skip(zMark), "revoke"));
        Assert.Subset(GroupTimeline.Held(y.Lines), yLeft);
        Assert.Subset(GroupTimeline.Held(z.Lines), zLeft);

        await producer.CloseInputAsync(TimeSpan.FromSeconds(60));
        var produced = GroupMembers.Deliveries(producer.Lines);
        var wanted = produced.Select(p => (p.Partition, p.Offset)).ToHashSet();
        await GroupMembers.UntilAsync(() => wanted.IsSubsetOf(new[] { x, y, z }.SelectMany(m => m.Lines)
            .Where(l => l.GetProperty("ev").GetString() == "rec").Select(l => (l.GetProperty("p").GetInt32(), l.GetProperty("o").GetInt64()))),
            $"every one of the {produced.Count} records consumed", all);
        await y.CloseInputAsync(TimeSpan.FromSeconds(30));
        await z.CloseInputAsync(TimeSpan.FromSeconds(30));

        var timeline = new GroupTimeline();
        timeline.Add("X", x.Lines);
        timeline.Add("Y", y.Lines);
        timeline.Add("Z", z.Lines);
        var violations = timeline.OverlappingOwnerships().Concat(timeline.RecordsOutsideOwnership()).Concat(timeline.Duplicates(killed: null).Problems).ToList();
        Assert.True(violations.Count == 0, string.Join("\n", violations) + "\n" + Outputs(x, y, z));
    }

    private static ClientProcess Member(string name, string bs, string group, string topic) =>
        // Commits only when giving partitions up: librdkafka 2.0.2 drops its whole assignment when a commit
        // racing the second join gets ILLEGAL_GENERATION (librdkafka #4059), as it would against Kafka.
        GroupMembers.Start(CompatClient.ConfluentKafka, name, bs, group, topic, strategy: "cooperative-sticky", commit: "revoke");

    private static List<int> Changes(IEnumerable<JsonElement> lines, string ev) =>
        [.. lines.Where(l => l.GetProperty("ev").GetString() == ev).SelectMany(l => l.GetProperty("parts").EnumerateArray().Select(p => p.GetInt32()))];

    private static string Outputs(params ClientProcess[] members) => string.Join("\n", members.Select(m => $"===== {m.Name}\n{m.Output}"));
}
