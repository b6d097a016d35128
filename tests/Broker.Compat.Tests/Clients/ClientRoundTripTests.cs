using System.Globalization;
using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Clients;

/// <summary>
/// Each real client against the real broker: create a topic, produce keyed records with headers
/// under every codec the client has, read them back by partition and offset (assign, no groups),
/// list offsets (earliest, latest, by time) and delete the topic. Content and order are checked
/// record by record. kafkajs consumes only through a group, so its read-back is done by
/// confluent-kafka (kafkajs consume waits for the group coordinator).
/// </summary>
public sealed class ClientRoundTripTests
{
    private static readonly string[] AllCodecs = ["none", "gzip", "snappy", "lz4", "zstd"];
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);
    private const int PerCodec = 5;

    public static TheoryData<CompatClient, string> ClientsAndCodecs() => new()
    {
        { CompatClient.ConfluentKafka, "none,gzip,snappy,lz4,zstd" },
        { CompatClient.KafkaPython, "none,gzip" },     // Debian's kafka-python lacks the snappy/lz4/zstd packages
        { CompatClient.KafkaJs, "none,gzip" },         // kafkajs has only gzip built in
    };

    [Theory(Timeout = 240_000)]
    [MemberData(nameof(ClientsAndCodecs))]
    public async Task Client_creates_produces_every_codec_consumes_lists_offsets_and_deletes(CompatClient client, string codecs)
    {
        await using var broker = await BrokerProcess.StartAsync();
        var scripts = new ClientScripts(client, broker.BootstrapServers, ClientTimeout);
        var reader = client == CompatClient.KafkaJs ? new ClientScripts(CompatClient.ConfluentKafka, broker.BootstrapServers, ClientTimeout) : scripts;
        var topic = $"rt-{client}".ToLowerInvariant();
        await scripts.CreateTopicAsync(topic, partitions: 2);

        // Every codec the client supports must work; the others must say "unsupported" (exit 64), not fail.
        var expected = new List<(int Partition, int Index)>();
        var start = 0;
        var supported = codecs.Split(',');
        foreach (var codec in AllCodecs)
        {
            var partition = start / PerCodec % 2;
            var result = await scripts.RunAsync("produce", "--topic", topic, "--count", I(PerCodec), "--start", I(start),
                "--partition", I(partition), "--codec", codec, "--acks", "all");
            if (!supported.Contains(codec))
            {
                Assert.True(result.IsUnsupported || result.Succeeded, result.ToString());
                if (result.IsUnsupported)
                {
                    continue;
                }
            }
            result.EnsureSuccess();
            var deliveries = result.JsonLines();
            Assert.Equal(PerCodec, deliveries.Count);
            foreach (var d in deliveries)
            {
                Assert.Equal(partition, d.GetProperty("partition").GetInt32());
            }
            for (var i = start; i < start + PerCodec; i++)
            {
                expected.Add((partition, i));
            }
            start += PerCodec;
        }

        var consumed = new Dictionary<int, IReadOnlyList<ClientRecord>>();
        for (var p = 0; p < 2; p++)
        {
            var mine = expected.Where(e => e.Partition == p).Select(e => e.Index).ToList();
            var records = mine.Count == 0 ? [] : await reader.ConsumeAsync(topic, p, 0, mine.Count);
            Assert.Equal(mine.Count, records.Count);
            for (var k = 0; k < mine.Count; k++)
            {
                var r = records[k];
                Assert.Equal(p, r.Partition);
                Assert.Equal(k, r.Offset);
                Assert.Equal($"key-{mine[k]}", r.Key);
                Assert.Equal($"value-{mine[k]}", r.Value);
                Assert.Equal(I(mine[k]), r.Headers["index"]);
            }
            consumed[p] = records;
        }

        var earliest = await scripts.ListOffsetsAsync(topic, "earliest");
        var latest = await scripts.ListOffsetsAsync(topic, "latest");
        for (var p = 0; p < 2; p++)
        {
            Assert.Equal(0, earliest.Single(o => o.Partition == p).Offset);
            Assert.Equal(consumed[p].Count, latest.Single(o => o.Partition == p).Offset);
        }

        // By time: the first offset whose timestamp is at or after the target (one ms after the first batch).
        var p0 = consumed[0];
        var target = p0[0].Timestamp + 1;
        var byTime = await scripts.ListOffsetsAsync(topic, I(target));
        var firstAtOrAfter = p0.FirstOrDefault(r => r.Timestamp >= target)?.Offset;
        var got = byTime.Single(o => o.Partition == 0).Offset;
        if (firstAtOrAfter is { } want)
        {
            Assert.Equal(want, got);
        }
        else
        {
            Assert.True(got is -1 || got == p0.Count, $"no record at or after {target}, got offset {got}");
        }

        await scripts.DeleteTopicAsync(topic);
        await AssertTopicGoneAsync(broker, topic);
    }

    [Fact(Timeout = 180_000)]
    public async Task Kcat_produces_every_codec_and_consumes_by_partition_and_offset()
    {
        await using var broker = await BrokerProcess.StartAsync();
        var kcat = new Kcat(broker.BootstrapServers, ClientTimeout);
        var admin = new ClientScripts(CompatClient.ConfluentKafka, broker.BootstrapServers, ClientTimeout);
        const string topic = "rt-kcat";
        await admin.CreateTopicAsync(topic, partitions: 2);

        var start = 0;
        foreach (var codec in AllCodecs)
        {
            await kcat.ProduceAsync(topic, PerCodec, start, partition: 1, codec: codec);
            start += PerCodec;
        }
        var records = await kcat.ConsumeAsync(topic, 1, 0, start);
        for (var i = 0; i < start; i++)
        {
            Assert.Equal(i, records[i].Offset);
            Assert.Equal($"key-{i}", records[i].Key);
            Assert.Equal($"value-{i}", records[i].Value);
            Assert.Equal("kcat", records[i].Headers["client"]);
        }
        // From the middle too: offsets are addressable inside compressed batches.
        var tail = await kcat.ConsumeAsync(topic, 1, 7, 3);
        Assert.Equal(["key-7", "key-8", "key-9"], tail.Select(r => r.Key));

        // kcat -Q: offsets by time per partition.
        var query = await ClientRunner.KcatAsync(
            ["-Q", "-b", broker.BootstrapServers, "-t", $"{topic}:1:{records[0].Timestamp}"], timeout: ClientTimeout);
        query.EnsureSuccess();
        Assert.Contains($"{topic} [1] offset 0", query.Stdout);

        await admin.DeleteTopicAsync(topic);
        await AssertTopicGoneAsync(broker, topic);
    }

    /// <summary>kcat -L must no longer list the topic (deletion is asynchronous in Kafka; poll a little).</summary>
    private static async Task AssertTopicGoneAsync(BrokerProcess broker, string topic)
    {
        ClientResult? last = null;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            last = (await ClientRunner.KcatAsync(["-L", "-b", broker.BootstrapServers, "-J"], timeout: ClientTimeout)).EnsureSuccess();
            if (!last.Stdout.Contains($"\"topic\":\"{topic}\"", StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(200);
        }
        Assert.Fail($"topic {topic} still listed after delete:\n{last}");
    }

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);
}
