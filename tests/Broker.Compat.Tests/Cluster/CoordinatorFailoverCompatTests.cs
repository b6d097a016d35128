using System.Globalization;
using Broker.Compat.Tests.Groups;
using Broker.Compat.Tests.Harness;
using Broker.Protocol.Messages;

namespace Broker.Compat.Tests.Cluster;

/// <summary>
/// A confluent-kafka (librdkafka) consumer group on a 3-process cluster (deploy/cluster.sh; __consumer_offsets of
/// replication factor 3) when the broker leading the group's coordinator partition is killed -9: FindCoordinator
/// moves to the partition's new leader, which replayed the partition, so the member carries on committing; a
/// member that joins later starts exactly at the committed offsets, and the only records read twice are ones
/// whose commit the kill swallowed.
/// </summary>
public sealed class CoordinatorFailoverCompatTests
{
    private const int Partitions = 3;

    // As Kafka's consumer default (45 s): longer than the failover (fencing after broker.session.timeout.ms, then the
    // load), so the member keeps its session; a shorter one legitimately ends it in librdkafka before the new coordinator is found.
    private const int SessionTimeoutMs = 45_000;

    /// <summary>
    /// Records a member read again although their commit had succeeded before the re-read: the only re-reads allowed are
    /// of records whose commit never succeeded (it failed or was swallowed by the kill).
    /// </summary>
    private static List<string> CommittedButReadAgain(IReadOnlyList<System.Text.Json.JsonElement> lines)
    {
        var problems = new List<string>();
        var committed = new HashSet<(int, long)>();
        var read = new HashSet<(int, long)>();
        foreach (var line in lines)
        {
            var ev = line.GetProperty("ev").GetString();
            if (ev == "commit")
            {
                committed.Add((line.GetProperty("p").GetInt32(), line.GetProperty("o").GetInt64()));
            }
            else if (ev == "rec")
            {
                var (p, o) = (line.GetProperty("p").GetInt32(), line.GetProperty("o").GetInt64());
                if (!read.Add((p, o)) && committed.Contains((p, o + 1)))
                {
                    problems.Add($"{p}@{o} read again after its commit succeeded");
                }
            }
        }
        return problems;
    }

    private static async Task<int> CoordinatorAsync(LocalCluster cluster, int askNode, string group)
    {
        using var client = await RawKafkaClient.ConnectAsync(cluster.KafkaPort(askNode));
        var response = await client.SendAsync<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4,
            new FindCoordinatorRequest { KeyType = 0, CoordinatorKeys = [group] }, TimeSpan.FromSeconds(30));
        var found = Assert.Single(response.Coordinators);
        return found.ErrorCode == 0 ? found.NodeId : -1;
    }

    private static async Task<int> WaitCoordinatorAsync(LocalCluster cluster, int askNode, string group, Func<int, bool> accept)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var id = await CoordinatorAsync(cluster, askNode, group);
            if (id > 0 && accept(id))
            {
                return id;
            }
            Assert.True(DateTime.UtcNow < deadline, $"no coordinator for {group} (last answer {id})\n{cluster.Logs()}");
            await Task.Delay(200);
        }
    }

    [Fact(Timeout = 420_000)]
    public async Task A_group_keeps_its_committed_offsets_when_its_coordinator_is_killed()
    {
        await using var cluster = await LocalCluster.StartAsync(3, new Dictionary<string, string> { ["offsets.topic.num.partitions"] = "3" });
        var bootstrap = cluster.BootstrapServers;
        const string topic = "coordmove";
        const string group = "coordmove-group";
        (await new ClientScripts(CompatClient.ConfluentKafka, bootstrap, TimeSpan.FromSeconds(90))
            .RunAsync("create-topic", "--topic", topic, "--partitions", I(Partitions), "--replication-factor", "3")).EnsureSuccess();
        var produced = await GroupMembers.ProduceAsync(bootstrap, topic, Partitions, 150, 0);

        await using var m1 = GroupMembers.Start(CompatClient.ConfluentKafka, "M1", bootstrap, group, topic, SessionTimeoutMs);
        await GroupMembers.UntilAsync(() => GroupTimeline.LastCommits(m1.Lines).Values.Sum() >= 150,
            "M1 consumed and committed the first 150 records", [m1], TimeSpan.FromSeconds(120));

        var coordinator = await WaitCoordinatorAsync(cluster, 1, group, _ => true);
        await cluster.KillAsync(coordinator);
        var survivor = coordinator == 1 ? 2 : 1;
        var moved = await WaitCoordinatorAsync(cluster, survivor, group, id => id != coordinator);
        Assert.NotEqual(coordinator, moved);

        // More records while the group's coordinator and the topic's leaders moved: M1 finds the new coordinator and commits there.
        var survivors = string.Join(',', Enumerable.Range(1, 3).Where(n => n != coordinator).Select(n => $"127.0.0.1:{cluster.KafkaPort(n)}"));
        produced.AddRange(await GroupMembers.ProduceAsync(survivors, topic, Partitions, 150, 150));
        var ends = produced.GroupBy(p => p.Partition).ToDictionary(g => g.Key, g => g.Max(p => p.Offset) + 1);
        await GroupMembers.UntilAsync(() => ends.All(e => GroupTimeline.LastCommits(m1.Lines).GetValueOrDefault(e.Key) >= e.Value),
            "M1 committed every record at the new coordinator", [m1], TimeSpan.FromSeconds(180));
        await m1.CloseInputAsync(TimeSpan.FromSeconds(60));
        var committed = GroupTimeline.LastCommits(m1.Lines);

        // The group re-forms with a new member, which starts exactly where M1's commits left off.
        produced.AddRange(await GroupMembers.ProduceAsync(survivors, topic, Partitions, 60, 300));
        await using var m2 = GroupMembers.Start(CompatClient.ConfluentKafka, "M2", survivors, group, topic, SessionTimeoutMs);
        await GroupMembers.UntilAsync(() => GroupTimeline.Held(m2.Lines).Count == Partitions && GroupTimeline.FirstReads(m2.Lines).Count == Partitions,
            "M2 assigned every partition and reading", [m2], TimeSpan.FromSeconds(120));
        Assert.Equal(committed.OrderBy(kv => kv.Key), GroupTimeline.FirstReads(m2.Lines).OrderBy(kv => kv.Key));
        await GroupMembers.UntilAsync(() => GroupTimeline.Consumed(m2.Lines) >= 60, "M2 read the new records", [m2], TimeSpan.FromSeconds(120));
        await m2.CloseInputAsync(TimeSpan.FromSeconds(60));

        // M2 reads nothing M1 read (M1 left cleanly after committing each record); M1 re-reads only uncommitted records.
        var m1Reads = m1.Lines.Where(l => l.GetProperty("ev").GetString() == "rec").Select(l => (l.GetProperty("p").GetInt32(), l.GetProperty("o").GetInt64())).ToHashSet();
        var problems = CommittedButReadAgain(m1.Lines);
        problems.AddRange(m2.Lines.Where(l => l.GetProperty("ev").GetString() == "rec")
            .Select(l => (l.GetProperty("p").GetInt32(), l.GetProperty("o").GetInt64())).Where(m1Reads.Contains).Select(r => $"{r.Item1}@{r.Item2} read by M1 and M2"));
        Assert.True(problems.Count == 0, string.Join("\n", problems) + $"\n===== M1\n{m1.Output}\n===== M2\n{m2.Output}");
        var wanted = produced.Select(p => (p.Partition, p.Offset)).ToHashSet();
        var read = new[] { m1, m2 }.SelectMany(m => m.Lines).Where(l => l.GetProperty("ev").GetString() == "rec")
            .Select(l => (l.GetProperty("p").GetInt32(), l.GetProperty("o").GetInt64())).ToHashSet();
        Assert.Subset(read, wanted);
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
