using System.Text.Json;
using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Groups;

/// <summary>
/// The consumer-group admin APIs through real admin clients, against one active group (two
/// librdkafka members that consumed and committed everything) and one empty group holding offsets:
/// librdkafka 2.0.2's own Admin API (tests/compat/c/group_admin.c; confluent-kafka-python 1.7 wraps
/// none of it), kafka-python's KafkaAdminClient and kafkajs's admin. States, state filters, protocol type and name,
/// members with decoded assignments, offsets (listed, altered, deleted), NON_EMPTY_GROUP,
/// GROUP_SUBSCRIBED_TO_TOPIC and GROUP_ID_NOT_FOUND; deletions survive a broker kill -9.
/// </summary>
public sealed class GroupAdminTests
{
    private const int Partitions = 6;

    private static readonly Lazy<Task<string>> s_tool = new(CompileAsync);

    [Fact(Timeout = 180_000)]
    public async Task Admin_clients_list_describe_alter_and_delete_groups_as_kafka_does()
    {
        var tool = await s_tool.Value;
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions
        {
            Settings = new Dictionary<string, string> { ["group.initial.rebalance.delay.ms"] = "0", ["offsets.topic.num.partitions"] = "3" },
        });
        var bs = broker.BootstrapServers;
        var topic = $"adm-{Guid.NewGuid():N}"[..16];
        var (active, empty) = ("active-" + topic, "empty-" + topic);
        await new ClientScripts(CompatClient.ConfluentKafka, bs).CreateTopicAsync(topic, Partitions);
        await GroupMembers.ProduceAsync(bs, topic, Partitions, 60, 0);
        await using var m1 = GroupMembers.Start(CompatClient.ConfluentKafka, "M1", bs, active, topic);
        await using var m2 = GroupMembers.Start(CompatClient.ConfluentKafka, "M2", bs, active, topic);
        await GroupMembers.UntilAsync(() => GroupMembers.Balanced(Partitions, m1, m2)
            && GroupTimeline.LastCommits(m1.Lines).Concat(GroupTimeline.LastCommits(m2.Lines)).Count(kv => kv.Value == 10) == Partitions,
            "two members that committed all 60 records", [m1, m2]);

        Task<IReadOnlyList<JsonElement>> Rd(params string[] args) => RunAsync(tool, [bs, .. args]);

        // AlterConsumerGroupOffsets: an empty group takes them; an active one refuses a commit from outside (Kafka: UNKNOWN_MEMBER_ID).
        var altered = await Rd("alter-offsets", empty, topic, "0=5", "1=7");
        Assert.Equal("NO_ERROR", altered[0].GetProperty("error").GetString());
        Assert.All(altered.Skip(1), p => Assert.Equal("NO_ERROR", p.GetProperty("error").GetString()));
        var refused = await Rd("alter-offsets", active, topic, "0=1");
        Assert.Equal("UNKNOWN_MEMBER_ID", refused.Single(l => l.TryGetProperty("partition", out _)).GetProperty("error").GetString());

        // ListConsumerGroups, with and without state filters (ListGroups v4).
        var listed = (await Rd("list")).ToDictionary(g => g.GetProperty("group").GetString()!, g => (g.GetProperty("state").GetString(), g.GetProperty("simple").GetBoolean()));
        Assert.Equal(("Stable", false), listed[active]);
        Assert.Equal(("Empty", true), listed[empty]); // created by a commit: no protocol type, a "simple" group
        Assert.Equal([active], (await Rd("list", "Stable")).Select(g => g.GetProperty("group").GetString()));
        Assert.Equal([empty], (await Rd("list", "Empty")).Select(g => g.GetProperty("group").GetString()));
        Assert.Empty(await Rd("list", "PreparingRebalance", "CompletingRebalance"));

        // DescribeConsumerGroups: state, assignor, members and the assignments librdkafka decodes.
        var described = (await Rd("describe", active, "no-such-group")).ToDictionary(g => g.GetProperty("group").GetString()!);
        var d = described[active];
        Assert.Equal("NO_ERROR", d.GetProperty("error").GetString());
        Assert.Equal("Stable", d.GetProperty("state").GetString());
        Assert.Equal("range", d.GetProperty("assignor").GetString());
        Assert.False(d.GetProperty("simple").GetBoolean());
        var held = new[] { m1, m2 }.Select(m => string.Join(",", GroupTimeline.Held(m.Lines).Order())).Order().ToList();
        var members = d.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(held, members.Select(m => string.Join(",", m.GetProperty("partitions").EnumerateArray()
            .Select(p => { Assert.Equal(topic, p[0].GetString()); return p[1].GetInt32(); }).Order())).Order());
        Assert.All(members, m =>
        {
            Assert.Equal("rdkafka", m.GetProperty("client").GetString());
            Assert.StartsWith("/127.0.0.1", m.GetProperty("host").GetString());
        });
        Assert.Equal("Dead", described["no-such-group"].GetProperty("state").GetString());
        Assert.Empty(described["no-such-group"].GetProperty("members").EnumerateArray());

        // ListConsumerGroupOffsets: all 60 records committed, 10 a partition; the empty group's altered offsets.
        Assert.All((await Rd("list-offsets", active)).Skip(1), p => Assert.Equal(10, p.GetProperty("offset").GetInt64()));
        Assert.Equal(Partitions, (await Rd("list-offsets", active)).Count - 1);
        Assert.Equal([(0, 5L), (1, 7L)], (await Rd("list-offsets", empty)).Skip(1)
            .Select(p => (p.GetProperty("partition").GetInt32(), p.GetProperty("offset").GetInt64())).Order());

        // kafka-python's KafkaAdminClient sees the same.
        var kp = await KafkaPythonAsync(bs, "describe", active);
        var k = kp.Single();
        Assert.Equal(("Stable", "consumer", "range"), (k.GetProperty("state").GetString(), k.GetProperty("protocol_type").GetString(), k.GetProperty("protocol").GetString()));
        Assert.Equal(held, k.GetProperty("members").EnumerateArray().Select(m => string.Join(",", m.GetProperty("partitions").EnumerateArray().Select(p => p[1].GetInt32()).Order())).Order());
        Assert.All(k.GetProperty("members").EnumerateArray(), m => Assert.Equal([topic], m.GetProperty("topics").EnumerateArray().Select(t => t.GetString())));
        var kpListed = (await KafkaPythonAsync(bs, "list")).ToDictionary(g => g.GetProperty("group").GetString()!, g => g.GetProperty("protocol_type").GetString());
        Assert.Equal("consumer", kpListed[active]);
        Assert.Equal(string.Empty, kpListed[empty]);
        Assert.Equal(Enumerable.Range(0, Partitions).Select(p => (p, 10L)), (await KafkaPythonAsync(bs, "offsets", active))
            .Select(p => (p.GetProperty("partition").GetInt32(), p.GetProperty("offset").GetInt64())));

        // kafkajs's admin client too; its setOffsets refuses a group with members by itself (from DescribeGroups).
        var js = (await KafkaJsAsync(bs, "describe", active)).Single();
        Assert.Equal(("Stable", "consumer", "range"), (js.GetProperty("state").GetString(), js.GetProperty("protocolType").GetString(), js.GetProperty("protocol").GetString()));
        Assert.Equal(held, js.GetProperty("members").EnumerateArray()
            .Select(m => string.Join(",", m.GetProperty("assignment").GetProperty(topic).EnumerateArray().Select(p => p.GetInt32()).Order())).Order());
        Assert.All(js.GetProperty("members").EnumerateArray(), m => Assert.Equal("rdkafka", m.GetProperty("client").GetString()));
        Assert.All(await KafkaJsAsync(bs, "offsets", active, topic), p => Assert.Equal(10, p.GetProperty("offset").GetInt64()));
        Assert.Contains("no running instances", (await KafkaJsAsync(bs, "set-offsets", active, topic, "0=1")).Single().GetProperty("error").GetString());
        Assert.True((await KafkaJsAsync(bs, "set-offsets", empty, topic, "2=4")).Single().GetProperty("set").GetBoolean());
        Assert.Equal([(0, 5L), (1, 7L), (2, 4L)], (await Rd("list-offsets", empty)).Skip(1)
            .Select(p => (p.GetProperty("partition").GetInt32(), p.GetProperty("offset").GetInt64())).Order());
        Assert.Equal("NON_EMPTY_GROUP", (await KafkaJsAsync(bs, "delete", active)).Single().GetProperty("type").GetString());

        // DeleteConsumerGroupOffsets (OffsetDelete): not while a member subscribes to the topic; an unknown
        // partition is UNKNOWN_TOPIC_OR_PARTITION (librdkafka: _PART); the rest go, with tombstones (checked after the restart below).
        var trimmed = "trimmed-" + topic;
        await Rd("alter-offsets", trimmed, topic, "0=5", "1=7", "2=9");
        var subscribed = await Rd("delete-offsets", active, $"{topic}:0");
        Assert.Equal("GROUP_SUBSCRIBED_TO_TOPIC", subscribed.Single(l => l.TryGetProperty("partition", out _)).GetProperty("error").GetString());
        var trim = await Rd("delete-offsets", trimmed, $"{topic}:0", $"{topic}:{Partitions}");
        Assert.Equal("NO_ERROR", trim[0].GetProperty("error").GetString());
        Assert.Equal([(0, "NO_ERROR"), (Partitions, "UNKNOWN_TOPIC_OR_PART")], trim.Skip(1)
            .Select(p => (p.GetProperty("partition").GetInt32(), p.GetProperty("error").GetString())).Order());
        Assert.Equal("GROUP_ID_NOT_FOUND", (await Rd("delete-offsets", "no-such-group", $"{topic}:0"))[0].GetProperty("error").GetString());
        Assert.Equal([1, 2], (await Rd("list-offsets", trimmed)).Skip(1).Select(p => p.GetProperty("partition").GetInt32()).Order());

        // DeleteGroups: only an empty group goes, with its offsets.
        var deleted = (await Rd("delete", active, empty, "no-such-group")).ToDictionary(g => g.GetProperty("group").GetString()!, g => g.GetProperty("error").GetString());
        Assert.Equal("NON_EMPTY_GROUP", deleted[active]);
        Assert.Equal("NO_ERROR", deleted[empty]);
        Assert.Equal("GROUP_ID_NOT_FOUND", deleted["no-such-group"]);
        Assert.Equal("NonEmptyGroupError", (await KafkaPythonAsync(bs, "delete", active)).Single().GetProperty("error").GetString());
        Assert.DoesNotContain(await Rd("list"), g => g.GetProperty("group").GetString() == empty);
        Assert.Single(await Rd("list-offsets", empty)); // the group line only: no offsets left

        // After a kill -9 and restart, __consumer_offsets replays the tombstones: deleted stays deleted.
        await broker.RestartAsync(crash: true);
        Assert.Equal([(1, 7L), (2, 9L)], (await Rd("list-offsets", trimmed)).Skip(1)
            .Select(p => (p.GetProperty("partition").GetInt32(), p.GetProperty("offset").GetInt64())).Order());
        Assert.Single(await Rd("list-offsets", empty));
    }

    private static async Task<IReadOnlyList<JsonElement>> RunAsync(string tool, string[] args) =>
        (await ClientRunner.RunAsync(tool, args, TimeSpan.FromSeconds(60))).EnsureSuccess().JsonLines();

    private static async Task<IReadOnlyList<JsonElement>> KafkaPythonAsync(string bs, params string[] args) =>
        (await ClientRunner.PythonAsync("kafka_python_group_admin.py", ["--bootstrap", bs, .. args], TimeSpan.FromSeconds(60))).EnsureSuccess().JsonLines();

    private static async Task<IReadOnlyList<JsonElement>> KafkaJsAsync(string bs, params string[] args) =>
        (await ClientRunner.NodeAsync("kafkajs_group_admin.js", [bs, .. args], TimeSpan.FromSeconds(60))).EnsureSuccess().JsonLines();

    /// <summary>Builds tests/compat/c/group_admin.c against the system librdkafka (librdkafka-dev), once per test run.</summary>
    private static async Task<string> CompileAsync()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("akkabroker-group-admin-").FullName, "group_admin");
        var result = await ClientRunner.RunAsync("gcc",
            ["-O1", "-Wall", "-Wextra", "-Werror", "-o", output, Path.Combine(RepoPaths.CompatDir, "c", "group_admin.c"), "-lrdkafka"], TimeSpan.FromSeconds(120));
        result.EnsureSuccess();
        return output;
    }
}
