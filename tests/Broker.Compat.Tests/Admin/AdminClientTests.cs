using System.Text.Json;
using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Admin;

/// <summary>
/// The admin APIs through the real clients: DescribeConfigs, AlterConfigs (non-incremental: keys not
/// named return to their defaults) and DeleteRecords, checked value by value and record by record.
/// confluent-kafka 1.7 has no DeleteRecords (its script says unsupported); librdkafka's full
/// DescribeConfigs answer (sources, synonyms, read-only, errors) is checked through confluent_admin.py.
/// </summary>
public sealed class AdminClientTests
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);

    public static TheoryData<CompatClient> Clients() => new()
    {
        CompatClient.ConfluentKafka,
        CompatClient.KafkaPython,
        CompatClient.KafkaJs,
    };

    [Theory(Timeout = 240_000)]
    [MemberData(nameof(Clients))]
    public async Task Client_describes_alters_configs_and_deletes_records(CompatClient client)
    {
        await using var broker = await BrokerProcess.StartAsync();
        var scripts = new ClientScripts(client, broker.BootstrapServers, ClientTimeout);
        var confluent = new ClientScripts(CompatClient.ConfluentKafka, broker.BootstrapServers, ClientTimeout);
        var topic = $"admin-{client}".ToLowerInvariant();
        await confluent.CreateTopicAsync(topic, partitions: 2, new Dictionary<string, string> { ["retention.ms"] = "3600000" });

        var configs = await scripts.DescribeConfigAsync(topic);
        Assert.Equal(21, configs.Count);
        Assert.Equal("3600000", configs["retention.ms"]);
        Assert.Equal("1073741824", configs["segment.bytes"]);
        Assert.Equal("delete", configs["cleanup.policy"]);
        Assert.Equal("1048588", configs["max.message.bytes"]);

        await scripts.AlterConfigAsync(topic, new Dictionary<string, string> { ["segment.bytes"] = "1048576", ["cleanup.policy"] = "compact" });
        configs = await scripts.DescribeConfigAsync(topic, "segment.bytes", "cleanup.policy", "retention.ms");
        Assert.Equal(new Dictionary<string, string?>
        {
            ["cleanup.policy"] = "compact",
            ["retention.ms"] = "604800000", // not named in the AlterConfigs: back to the default
            ["segment.bytes"] = "1048576",
        }, configs);

        var bad = await scripts.RunAsync("alter-config", "--topic", topic, "--config", "retention.ms=soon");
        Assert.False(bad.Succeeded, bad.ToString());
        Assert.Equal("1048576", (await scripts.DescribeConfigAsync(topic, "segment.bytes"))["segment.bytes"]);

        await confluent.ProduceAsync(topic, 10, partition: 1);
        var deleted = await scripts.RunAsync("delete-records", "--topic", topic, "--partition", "1", "--before-offset", "4");
        if (client == CompatClient.ConfluentKafka)
        {
            Assert.True(deleted.IsUnsupported, deleted.ToString());
            return;
        }
        Assert.Equal(4, deleted.EnsureSuccess().JsonLines().Single().GetProperty("low_watermark").GetInt64());
        Assert.Equal(4, (await confluent.ListOffsetsAsync(topic, "earliest")).Single(o => o.Partition == 1).Offset);
        var records = await confluent.ConsumeAsync(topic, 1, 4, 6);
        Assert.Equal(Enumerable.Range(4, 6).Select(i => ($"key-{i}", (long)i)), records.Select(r => (r.Key!, r.Offset)));

        var outOfRange = await scripts.RunAsync("delete-records", "--topic", topic, "--partition", "1", "--before-offset", "11");
        Assert.False(outOfRange.Succeeded, outOfRange.ToString());
        Assert.Equal(4, (await confluent.ListOffsetsAsync(topic, "earliest")).Single(o => o.Partition == 1).Offset);
    }

    [Fact(Timeout = 240_000)]
    public async Task Librdkafka_sees_sources_synonyms_read_only_flags_and_kafkas_error_codes()
    {
        await using var broker = await BrokerProcess.StartAsync(new BrokerOptions { Settings = new Dictionary<string, string> { ["log.retention.bytes"] = "5000000000" } });
        var confluent = new ClientScripts(CompatClient.ConfluentKafka, broker.BootstrapServers, ClientTimeout);
        await confluent.CreateTopicAsync("librdkafka-configs", configs: new Dictionary<string, string> { ["retention.ms"] = "3600000" });

        var topic = await AdminAsync(broker, "describe", "--type", "topic", "--name", "librdkafka-configs");
        var retention = topic["retention.ms"];
        Assert.Equal(("3600000", 1, false, false), (Str(retention, "value"), Int(retention, "source"), Bool(retention, "read_only"), Bool(retention, "is_default")));
        Assert.Equal([("retention.ms", "3600000", 1), ("log.retention.hours", "168", 5)], Synonyms(retention));
        var retentionBytes = topic["retention.bytes"];
        Assert.Equal(("5000000000", 4), (Str(retentionBytes, "value"), Int(retentionBytes, "source")));
        Assert.Equal(("1073741824", 5, true), (Str(topic["segment.bytes"], "value"), Int(topic["segment.bytes"], "source"), Bool(topic["segment.bytes"], "is_default")));

        var brokerConfigs = await AdminAsync(broker, "describe", "--type", "broker", "--name", "1");
        Assert.Equal(("1", 4, true), (Str(brokerConfigs["node.id"], "value"), Int(brokerConfigs["node.id"], "source"), Bool(brokerConfigs["node.id"], "read_only")));
        Assert.Equal(("5000000000", 4, false), (Str(brokerConfigs["log.retention.bytes"], "value"), Int(brokerConfigs["log.retention.bytes"], "source"), Bool(brokerConfigs["log.retention.bytes"], "read_only")));

        Assert.Equal("UNKNOWN_TOPIC_OR_PART", await AdminErrorAsync(broker, "describe", "--type", "topic", "--name", "no-such-topic"));
        Assert.Equal("INVALID_CONFIG", await AdminErrorAsync(broker, "alter", "--type", "topic", "--name", "librdkafka-configs", "--config", "retention.ms=soon"));
        Assert.Equal("INVALID_CONFIG", await AdminErrorAsync(broker, "alter", "--type", "topic", "--name", "librdkafka-configs", "--config", "no.such.config=1"));
        Assert.Equal("UNKNOWN_TOPIC_OR_PART", await AdminErrorAsync(broker, "alter", "--type", "topic", "--name", "no-such-topic", "--config", "retention.ms=1"));

        // validate-only changes nothing; a real alter does, and a dynamic broker default shows on the topic.
        Assert.True((await AdminAsync(broker, "alter", "--type", "topic", "--name", "librdkafka-configs", "--validate-only", "--config", "retention.ms=1")).ContainsKey("altered"));
        Assert.Equal("3600000", Str((await AdminAsync(broker, "describe", "--type", "topic", "--name", "librdkafka-configs"))["retention.ms"], "value"));
        Assert.True((await AdminAsync(broker, "alter", "--type", "broker", "--name", "1", "--config", "log.segment.bytes=2097152")).ContainsKey("altered"));
        var segment = (await AdminAsync(broker, "describe", "--type", "topic", "--name", "librdkafka-configs"))["segment.bytes"];
        Assert.Equal(("2097152", 3), (Str(segment, "value"), Int(segment, "source")));
    }

    /// <summary>Runs confluent_admin.py; entries keyed by name (or the single result line keyed "altered" / "error").</summary>
    private static async Task<Dictionary<string, JsonElement>> AdminAsync(BrokerProcess broker, params string[] command)
    {
        var result = (await ClientRunner.PythonAsync("confluent_admin.py",
            ["--bootstrap", broker.BootstrapServers, "--timeout-ms", "40000", .. command], ClientTimeout)).EnsureSuccess();
        var lines = result.JsonLines();
        return lines.Count == 1 && !lines[0].TryGetProperty("name", out _)
            ? lines[0].EnumerateObject().ToDictionary(p => p.Name, p => p.Value)
            : lines.ToDictionary(l => l.GetProperty("name").GetString()!);
    }

    private static async Task<string?> AdminErrorAsync(BrokerProcess broker, params string[] command)
    {
        var result = await AdminAsync(broker, command);
        Assert.True(result.ContainsKey("error"), string.Join(", ", result.Keys));
        return result["error"].GetString();
    }

    private static string? Str(JsonElement e, string name) => e.GetProperty(name).GetString();
    private static int Int(JsonElement e, string name) => e.GetProperty(name).GetInt32();
    private static bool Bool(JsonElement e, string name) => e.GetProperty(name).GetBoolean();

    private static List<(string, string?, int)> Synonyms(JsonElement e) =>
        [.. e.GetProperty("synonyms").EnumerateArray().Select(s => (s.GetProperty("name").GetString()!, s.GetProperty("value").GetString(), s.GetProperty("source").GetInt32()))];
}
