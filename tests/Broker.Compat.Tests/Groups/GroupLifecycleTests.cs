using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Groups;

/// <summary>
/// The classic protocol with each real client, in separate processes: three members share a
/// 6-partition topic while records are produced; one leaves cleanly, one is SIGKILLed (its partitions
/// move after the session timeout), one joins. Every record is consumed, only the killed member's
/// last uncommitted record may be read twice, a partition never has two holders at once (by time and
/// within a generation), and the committed offsets are exactly where a new member resumes, after a
/// consumer restart and after a broker kill -9 and restart.
/// </summary>
public sealed class GroupLifecycleTests
{
    private const int Partitions = 6;
    private const int SessionTimeoutMs = 6000;

    [Theory(Timeout = 240_000)]
    [InlineData(CompatClient.ConfluentKafka)]
    [InlineData(CompatClient.KafkaPython)]
    [InlineData(CompatClient.KafkaJs)]
    public async Task Members_leave_die_and_join_while_records_flow_and_offsets_resume(CompatClient client)
    {
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions
        {
            Settings = new Dictionary<string, string> { ["group.initial.rebalance.delay.ms"] = "0", ["offsets.topic.num.partitions"] = "3" },
        });
        var bs = broker.BootstrapServers;
        var topic = $"life-{Guid.NewGuid():N}"[..16];
        var group = "g-" + topic;
        await new ClientScripts(CompatClient.ConfluentKafka, bs).CreateTopicAsync(topic, Partitions);

        await using var producer = GroupMembers.StartProducer(bs, topic, Partitions);
        await using var a = GroupMembers.Start(client, "A", bs, group, topic, SessionTimeoutMs);
        await using var b = GroupMembers.Start(client, "B", bs, group, topic, SessionTimeoutMs);
        await using var c = GroupMembers.Start(client, "C", bs, group, topic, SessionTimeoutMs);
        ClientProcess[] all = [producer, a, b, c];
        await GroupMembers.UntilAsync(() => GroupMembers.Balanced(Partitions, a, b, c) && new[] { a, b, c }.All(m => GroupTimeline.Consumed(m.Lines) > 0),
            "three balanced members consuming", all);

        // A leaves cleanly: B and C take over its partitions.
        await a.CloseInputAsync(TimeSpan.FromSeconds(30));
        var (bRead, cRead) = (GroupTimeline.Consumed(b.Lines), GroupTimeline.Consumed(c.Lines));
        await GroupMembers.UntilAsync(() => GroupMembers.Balanced(Partitions, b, c)
            && GroupTimeline.Consumed(b.Lines) > bRead && GroupTimeline.Consumed(c.Lines) > cRead, "B and C sharing every partition after A left", all);

        // B dies without a word: its partitions reach C only when its session expires.
        var bHeld = GroupTimeline.Held(b.Lines);
        var killedAt = await b.Kill9Async();
        await GroupMembers.UntilAsync(() => GroupTimeline.Held(c.Lines).Count == Partitions, "C holding every partition after B was killed", all);
        var takeover = c.Lines.Last(l => l.GetProperty("ev").GetString() == "assign").GetProperty("t").GetInt64();
        Assert.True(takeover - killedAt >= SessionTimeoutMs - 2000,
            $"B's partitions {string.Join(",", bHeld)} moved {takeover - killedAt} ms after the kill, before its {SessionTimeoutMs} ms session could expire\n{c.Output}");

        // D joins and gets a share.
        await using var d = GroupMembers.Start(client, "D", bs, group, topic, SessionTimeoutMs);
        all = [producer, a, b, c, d];
        await GroupMembers.UntilAsync(() => GroupMembers.Balanced(Partitions, c, d) && GroupTimeline.Consumed(d.Lines) > 0, "C and D sharing every partition", all);

        await producer.CloseInputAsync(TimeSpan.FromSeconds(60));
        var produced = GroupMembers.Deliveries(producer.Lines);
        var wanted = produced.Select(p => (p.Partition, p.Offset)).ToHashSet();
        await GroupMembers.UntilAsync(() => wanted.IsSubsetOf(new[] { a, b, c, d }.SelectMany(m => m.Lines)
            .Where(l => l.GetProperty("ev").GetString() == "rec").Select(l => (l.GetProperty("p").GetInt32(), l.GetProperty("o").GetInt64()))),
            $"every one of the {produced.Count} records consumed", all);
        await c.CloseInputAsync(TimeSpan.FromSeconds(30));
        await d.CloseInputAsync(TimeSpan.FromSeconds(30));

        var timeline = new GroupTimeline();
        timeline.Add("A", a.Lines);
        timeline.Add("B", b.Lines, killedAt);
        timeline.Add("C", c.Lines);
        timeline.Add("D", d.Lines);
        var outputs = string.Join("\n", new[] { a, b, c, d }.Select(m => $"===== {m.Name}\n{m.Output}"));
        Assert.True(produced.Count >= 300, $"only {produced.Count} records produced");
        foreach (var p in produced)
        {
            Assert.Contains(timeline.Records, r => r.Partition == p.Partition && r.Offset == p.Offset && r.Value == p.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var violations = timeline.OverlappingOwnerships().Concat(timeline.GenerationConflicts()).Concat(timeline.RecordsOutsideOwnership()).ToList();
        Assert.True(violations.Count == 0, string.Join("\n", violations) + "\n" + outputs);
        var (duplicates, redelivered) = timeline.Duplicates(killed: "B");
        Assert.True(duplicates.Count == 0, string.Join("\n", duplicates) + "\n" + outputs);
        // Each member commits every record before reading the next: B can have left at most one uncommitted.
        Assert.InRange(redelivered, 0, 1);

        // Everything read was committed: the group's offsets are each partition's log end.
        var logEnd = produced.GroupBy(p => p.Partition).ToDictionary(g => g.Key, g => g.Max(p => p.Offset) + 1);
        var committed = new Dictionary<int, long>();
        foreach (var m in new[] { a, b, c, d })
        {
            foreach (var (p, o) in GroupTimeline.LastCommits(m.Lines))
            {
                committed[p] = Math.Max(committed.GetValueOrDefault(p), o);
            }
        }
        Assert.Equal(logEnd.OrderBy(kv => kv.Key), committed.OrderBy(kv => kv.Key));

        // A consumer restart: records produced while the group is empty, then a new member starting
        // from "latest" must begin exactly at the committed offsets.
        var next = produced.Max(p => p.Index) + 1;
        var more = await GroupMembers.ProduceAsync(bs, topic, Partitions, 30, next);
        await using var e = GroupMembers.Start(client, "E", bs, group, topic, SessionTimeoutMs, reset: "latest");
        await GroupMembers.UntilAsync(() => GroupTimeline.Consumed(e.Lines) >= more.Count && GroupTimeline.LastCommits(e.Lines).Count == Partitions,
            "E reading the new records", [e]);
        await e.CloseInputAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(committed.OrderBy(kv => kv.Key), GroupTimeline.FirstReads(e.Lines).OrderBy(kv => kv.Key));
        Assert.Equal(more.Count, GroupTimeline.Consumed(e.Lines));

        // A broker kill -9 and restart: the offsets E committed come back from __consumer_offsets.
        var afterE = GroupTimeline.LastCommits(e.Lines);
        var last = await GroupMembers.ProduceAsync(bs, topic, Partitions, 30, next + more.Count);
        await broker.RestartAsync(crash: true);
        await using var f = GroupMembers.Start(client, "F", bs, group, topic, SessionTimeoutMs, reset: "latest");
        await GroupMembers.UntilAsync(() => GroupTimeline.Consumed(f.Lines) >= last.Count && GroupTimeline.LastCommits(f.Lines).Count == Partitions,
            "F reading the records produced before the broker restart", [f]);
        await f.CloseInputAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(afterE.OrderBy(kv => kv.Key), GroupTimeline.FirstReads(f.Lines).OrderBy(kv => kv.Key));
        Assert.Equal(last.Count, GroupTimeline.Consumed(f.Lines));
    }
}
