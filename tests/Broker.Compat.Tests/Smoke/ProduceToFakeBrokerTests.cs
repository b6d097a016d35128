using Broker.Compat.Tests.Harness;

namespace Broker.Compat.Tests.Smoke;

/// <summary>
/// The produce path of every client script, end to end against the recording fake broker: the
/// client really connects, negotiates versions and sends a Produce, and the fake confirms what
/// arrived (one v2 batch per partition with the codec asked for). The real broker's tests reuse
/// the same scripts for everything else.
/// </summary>
public sealed class ProduceToFakeBrokerTests
{
    /// <summary>librdkafka sends a batch uncompressed when compressing would not make it smaller, so give it something to squeeze.</summary>
    private static readonly string Compressible = string.Concat(Enumerable.Repeat("abcdefgh", 32));

    private static readonly Dictionary<string, int> s_compression = new() { ["none"] = 0, ["gzip"] = 1, ["snappy"] = 2, ["lz4"] = 3, ["zstd"] = 4 };

    public static TheoryData<CompatClient, string> ClientCodecs() => new()
    {
        { CompatClient.ConfluentKafka, "none" },
        { CompatClient.ConfluentKafka, "lz4" },
        { CompatClient.KafkaPython, "none" },
        { CompatClient.KafkaPython, "gzip" },
        { CompatClient.KafkaJs, "none" },
        { CompatClient.KafkaJs, "gzip" },
    };

    [Theory]
    [MemberData(nameof(ClientCodecs))]
    public async Task Script_produces_numbered_records_to_one_partition(CompatClient client, string codec)
    {
        await using var broker = await FakeBroker.StartAsync(partitions: 2);
        var scripts = new ClientScripts(client, broker.BootstrapServers, TimeSpan.FromSeconds(60));

        var deliveries = await scripts.ProduceAsync("orders", count: 5, partition: 1, codec: codec, prefix: Compressible);

        Assert.Equal(Enumerable.Range(0, 5).Select(i => new Delivery(1, i, $"{Compressible}key-{i}")), deliveries);
        var batches = ProducedBatches(broker, "orders");
        Assert.Equal(5, batches.Where(b => b.Partition == 1).Sum(b => b.Records));
        Assert.All(batches, b => Assert.Equal(s_compression[codec], b.Compression));
    }

    [Theory]
    [InlineData(CompatClient.ConfluentKafka)]
    [InlineData(CompatClient.KafkaPython)]
    [InlineData(CompatClient.KafkaJs)]
    public async Task Script_reports_each_keyed_record_where_the_partitioner_put_it(CompatClient client)
    {
        await using var broker = await FakeBroker.StartAsync(partitions: 3);
        var scripts = new ClientScripts(client, broker.BootstrapServers, TimeSpan.FromSeconds(60));

        var deliveries = await scripts.ProduceAsync("clicks", count: 12);

        Assert.Equal(12, deliveries.Count);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"key-{i}"), deliveries.Select(d => d.Key));
        // Offsets per partition count up from 0 in send order, and the fake saw as many records there.
        var batches = ProducedBatches(broker, "clicks");
        foreach (var group in deliveries.GroupBy(d => d.Partition))
        {
            Assert.Equal(Enumerable.Range(0, group.Count()).Select(i => (long)i), group.Select(d => d.Offset));
            Assert.Equal(group.Count(), batches.Where(b => b.Partition == group.Key).Sum(b => b.Records));
        }
    }

    [Theory]
    [InlineData("none")]
    [InlineData("gzip")]
    [InlineData("snappy")]
    [InlineData("lz4")]
    [InlineData("zstd")]
    public async Task Kcat_produces_with_every_codec(string codec)
    {
        await using var broker = await FakeBroker.StartAsync();

        await new Kcat(broker.BootstrapServers, TimeSpan.FromSeconds(60)).ProduceAsync("logs", count: 4, partition: 0, codec: codec, prefix: Compressible);

        var batches = ProducedBatches(broker, "logs");
        Assert.Equal(4, batches.Sum(b => b.Records));
        Assert.All(batches, b => Assert.Equal(s_compression[codec], b.Compression));
    }

    [Theory]
    [InlineData(CompatClient.KafkaPython, "zstd")]
    [InlineData(CompatClient.KafkaJs, "lz4")]
    public async Task A_codec_the_client_lacks_is_reported_unsupported_not_failed(CompatClient client, string codec)
    {
        await using var broker = await FakeBroker.StartAsync();

        var result = await new ClientScripts(client, broker.BootstrapServers).RunAsync("produce", "--topic", "t", "--count", "1", "--codec", codec);

        Assert.True(result.IsUnsupported, result.ToString());
    }

    private sealed record Batch(int Partition, int Records, int Compression);

    private static List<Batch> ProducedBatches(BrokerProcess broker, string topic)
    {
        var batches = new List<Batch>();
        foreach (var frame in FakeBroker.Frames(broker).Where(f => f.GetProperty("api").GetString() == "produce"))
        {
            foreach (var p in frame.GetProperty("partitions").EnumerateArray().Where(p => p.GetProperty("topic").GetString() == topic))
            {
                foreach (var b in p.GetProperty("batches").EnumerateArray())
                {
                    batches.Add(new Batch(p.GetProperty("partition").GetInt32(), b.GetProperty("records").GetInt32(), b.GetProperty("compression").GetInt32()));
                }
            }
        }
        Assert.True(batches.Count > 0, $"no produce to {topic} recorded:\n{broker.Output}\n{string.Join('\n', FakeBroker.Frames(broker).Select(f => f.ToString()))}");
        return batches;
    }
}
