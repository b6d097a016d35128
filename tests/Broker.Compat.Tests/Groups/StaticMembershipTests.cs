using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Groups;

/// <summary>
/// Static membership (KIP-345, librdkafka's group.instance.id): a member killed and restarted with
/// the same instance id within its session timeout takes its old place: the same partitions, the
/// same generation, and the other members see no revoke and no assign, not even when the dead
/// process's session would have expired. A second live process claiming the same instance id takes
/// the place the same way, and the first is fenced (FENCED_INSTANCE_ID, fatal in librdkafka).
/// </summary>
public sealed class StaticMembershipTests
{
    private const int Partitions = 6;
    private const int SessionTimeoutMs = 10_000;

    [Fact(Timeout = 180_000)]
    public async Task A_restarted_static_member_gets_its_partitions_back_without_a_rebalance()
    {
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions
        {
            Settings = new Dictionary<string, string> { ["group.initial.rebalance.delay.ms"] = "0", ["offsets.topic.num.partitions"] = "3" },
        });
        var bs = broker.BootstrapServers;
        var topic = $"static-{Guid.NewGuid():N}"[..16];
        var group = "g-" + topic;
        await new ClientScripts(CompatClient.ConfluentKafka, bs).CreateTopicAsync(topic, Partitions);

        await using var producer = GroupMembers.StartProducer(bs, topic, Partitions);
        await using var s1 = Member("S1", bs, group, topic);
        await using var s2 = Member("S2", bs, group, topic);
        await using var s3 = Member("S3", bs, group, topic);
        ClientProcess[] all = [producer, s1, s2, s3];
        await GroupMembers.UntilAsync(() => GroupMembers.Balanced(Partitions, s1, s2, s3) && GroupTimeline.Consumed(s2.Lines) > 0,
            "three balanced static members", all);
        var held = GroupTimeline.Held(s2.Lines);
        var generation = s2.Lines.Last(l => l.GetProperty("ev").GetString() == "assign").GetProperty("gen").GetInt32();
        var (mark1, mark3) = (s1.Lines.Count, s3.Lines.Count);

        var killedAt = await s2.Kill9Async();
        await using var again = Member("S2'", bs, group, topic);
        all = [producer, s1, s2, s3, again];
        await GroupMembers.UntilAsync(() => GroupTimeline.Held(again.Lines).Count > 0 && GroupTimeline.Consumed(again.Lines) > 0,
            "the restarted S2 holding partitions", all);
        var assign = again.Lines.First(l => l.GetProperty("ev").GetString() == "assign");
        Assert.Equal(held.Order(), GroupTimeline.Held(again.Lines).Order());
        Assert.Equal(generation, assign.GetProperty("gen").GetInt32());

        // Past the point where the killed process's session would have expired: still no rebalance.
        await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, killedAt + SessionTimeoutMs + 3000 - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())));
        var outputs = string.Join("\n", new[] { s1, s3, again }.Select(m => $"===== {m.Name}\n{m.Output}"));
        Assert.True(!s1.Lines.Skip(mark1).Any(IsRebalance) && !s3.Lines.Skip(mark3).Any(IsRebalance), "S1 or S3 saw a rebalance\n" + outputs);
        Assert.DoesNotContain(again.Lines.Skip(1), IsRebalance);

        await producer.CloseInputAsync(TimeSpan.FromSeconds(60));
        var produced = GroupMembers.Deliveries(producer.Lines);
        var wanted = produced.Select(p => (p.Partition, p.Offset)).ToHashSet();
        await GroupMembers.UntilAsync(() => wanted.IsSubsetOf(new[] { s1, s2, s3, again }.SelectMany(m => m.Lines)
            .Where(l => l.GetProperty("ev").GetString() == "rec").Select(l => (l.GetProperty("p").GetInt32(), l.GetProperty("o").GetInt64()))),
            $"every one of the {produced.Count} records consumed", all);
        var timeline = new GroupTimeline();
        timeline.Add("S1", s1.Lines);
        timeline.Add("S2", s2.Lines, killedAt);
        timeline.Add("S3", s3.Lines);
        timeline.Add("S2'", again.Lines);
        var (duplicates, redelivered) = timeline.Duplicates(killed: "S2");
        var violations = timeline.OverlappingOwnerships().Concat(timeline.RecordsOutsideOwnership()).Concat(duplicates).ToList();
        Assert.True(violations.Count == 0, string.Join("\n", violations) + "\n" + outputs);
        Assert.InRange(redelivered, 0, 1);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_second_process_with_the_same_instance_id_fences_the_first()
    {
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions
        {
            Settings = new Dictionary<string, string> { ["group.initial.rebalance.delay.ms"] = "0", ["offsets.topic.num.partitions"] = "3" },
        });
        var bs = broker.BootstrapServers;
        var topic = $"fence-{Guid.NewGuid():N}"[..16];
        var group = "g-" + topic;
        await new ClientScripts(CompatClient.ConfluentKafka, bs).CreateTopicAsync(topic, Partitions);
        await using var s1 = Member("S1", bs, group, topic);
        await using var s2 = Member("S2", bs, group, topic);
        await GroupMembers.UntilAsync(() => GroupMembers.Balanced(Partitions, s1, s2), "two balanced static members", [s1, s2]);
        var held = GroupTimeline.Held(s2.Lines);
        var generation = s2.Lines.Last(l => l.GetProperty("ev").GetString() == "assign").GetProperty("gen").GetInt32();
        var mark = s1.Lines.Count;

        // A second process claims S2's instance id while S2 still runs: it takes S2's place, S2 is fenced.
        await using var twin = Member("S2'", bs, group, topic);
        await GroupMembers.UntilAsync(() => GroupTimeline.Held(twin.Lines).Count > 0
            && s2.Lines.Any(IsFatal),
            "the twin holding partitions and S2 fenced", [s1, s2, twin]);
        var fatal = s2.Lines.First(IsFatal);
        Assert.Contains("fenced", fatal.GetProperty("reason").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(held.Order(), GroupTimeline.Held(twin.Lines).Order());
        Assert.Equal(generation, twin.Lines.First(l => l.GetProperty("ev").GetString() == "assign").GetProperty("gen").GetInt32());
        Assert.False(s1.Lines.Skip(mark).Any(IsRebalance), "S1 saw a rebalance\n" + s1.Output);
    }

    // librdkafka reports it through the error callback as _FATAL (the KafkaError's fatal flag stays false there).
    private static bool IsFatal(System.Text.Json.JsonElement line) =>
        line.GetProperty("ev").GetString() == "error" && (line.GetProperty("fatal").GetBoolean() || line.GetProperty("code").GetString() == "_FATAL");

    private static bool IsRebalance(System.Text.Json.JsonElement line) => line.GetProperty("ev").GetString() is "assign" or "revoke";

    private static ClientProcess Member(string name, string bs, string group, string topic) =>
        GroupMembers.Start(CompatClient.ConfluentKafka, name, bs, group, topic, SessionTimeoutMs, instanceId: "instance-" + name.TrimEnd('\''));
}
