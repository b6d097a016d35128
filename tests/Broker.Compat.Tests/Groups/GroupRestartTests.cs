using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Groups;

/// <summary>
/// A broker kill -9 under a live classic group: Kafka keeps the group (GroupMetadataKey/Value in
/// __consumer_offsets), so after the restart the generation goes on from where it was and the
/// members rejoin it: a partition still has one holder at a time and generations only grow; the
/// only records read twice are ones whose commit the crash swallowed.
/// </summary>
public sealed class GroupRestartTests
{
    private const int Partitions = 6;

    [Fact(Timeout = 180_000)]
    public async Task A_live_group_carries_on_across_a_broker_kill()
    {
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions
        {
            Settings = new Dictionary<string, string> { ["group.initial.rebalance.delay.ms"] = "0", ["offsets.topic.num.partitions"] = "3" },
        });
        var bs = broker.BootstrapServers;
        var topic = $"restart-{Guid.NewGuid():N}"[..16];
        var group = "g-" + topic;
        await new ClientScripts(CompatClient.ConfluentKafka, bs).CreateTopicAsync(topic, Partitions);
        await using var producer = GroupMembers.StartProducer(bs, topic, Partitions, rate: 50);
        await using var m1 = GroupMembers.Start(CompatClient.ConfluentKafka, "M1", bs, group, topic, 10_000);
        await using var m2 = GroupMembers.Start(CompatClient.ConfluentKafka, "M2", bs, group, topic, 10_000);
        ClientProcess[] all = [producer, m1, m2];
        await GroupMembers.UntilAsync(() => GroupMembers.Balanced(Partitions, m1, m2) && GroupTimeline.Consumed(m1.Lines) > 0 && GroupTimeline.Consumed(m2.Lines) > 0,
            "two balanced members consuming", all);

        await broker.RestartAsync(crash: true);
        var (read1, read2) = (GroupTimeline.Consumed(m1.Lines), GroupTimeline.Consumed(m2.Lines));
        await GroupMembers.UntilAsync(() => GroupMembers.Balanced(Partitions, m1, m2) && GroupTimeline.Consumed(m1.Lines) > read1 && GroupTimeline.Consumed(m2.Lines) > read2,
            "both members consuming again after the restart", all);
        await producer.CloseInputAsync(TimeSpan.FromSeconds(60));
        var produced = GroupMembers.Deliveries(producer.Lines);
        var wanted = produced.Select(p => (p.Partition, p.Offset)).ToHashSet();
        await GroupMembers.UntilAsync(() => wanted.IsSubsetOf(new[] { m1, m2 }.SelectMany(m => m.Lines)
            .Where(l => l.GetProperty("ev").GetString() == "rec").Select(l => (l.GetProperty("p").GetInt32(), l.GetProperty("o").GetInt64()))),
            $"every one of the {produced.Count} records consumed", all);
        await m1.CloseInputAsync(TimeSpan.FromSeconds(30));
        await m2.CloseInputAsync(TimeSpan.FromSeconds(30));

        var timeline = new GroupTimeline();
        timeline.Add("M1", m1.Lines);
        timeline.Add("M2", m2.Lines);
        var violations = timeline.OverlappingOwnerships().Concat(timeline.GenerationConflicts()).Concat(timeline.RecordsOutsideOwnership())
            .Concat(timeline.Duplicates(_ => true).Problems).ToList();
        Assert.True(violations.Count == 0, string.Join("\n", violations) + "\n" + string.Join("\n", new[] { m1, m2 }.Select(m => $"===== {m.Name}\n{m.Output}")));
    }
}
