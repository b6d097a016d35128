using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Protocol.Tests.Fixtures;

/// <summary>
/// What each client asked for, decoded by the generated types and checked against what the
/// capture script made it send (not against the fake broker's own decoding): client identity,
/// requested topics, produce settings, and the batch each Produce carries.
/// </summary>
public sealed class RequestFixtureTests
{
    private const string Topic = "compat-fixtures";

    [Theory]
    [InlineData("kcat", "apiversions-v3.bin", "rdkafka", "librdkafka", "2.0.2")]
    [InlineData("confluent-kafka", "apiversions-v3.bin", "compat-confluent", "confluent-kafka-python", "1.7.0-rdkafka-2.0.2")]
    public void ApiVersions_v3_names_the_client_software(string client, string file, string clientId, string softwareName, string softwareVersion)
    {
        var (header, body, _) = ClientFrame.Load(client, file).Decode<ApiVersionsRequest>();

        Assert.Equal((short)ApiKey.ApiVersions, header.RequestApiKey);
        Assert.Equal(3, header.RequestApiVersion);
        Assert.Equal(2, ApiHeaders.RequestHeaderVersion(ApiKey.ApiVersions, 3)); // flexible: header v2
        Assert.Equal(clientId, header.ClientId);
        Assert.Equal(softwareName, body.ClientSoftwareName);
        Assert.Equal(softwareVersion, body.ClientSoftwareVersion);
    }

    [Theory]
    [InlineData("kafka-python", "apiversions-v0.bin", 0, "kafka-python-producer-1")]
    [InlineData("kafkajs", "apiversions-v2.bin", 2, "compat-kafkajs")]
    public void Older_ApiVersions_carry_only_the_client_id(string client, string file, short version, string clientId)
    {
        var frame = ClientFrame.Load(client, file);
        var (header, _, unread) = frame.Decode<ApiVersionsRequest>();

        Assert.Equal(version, header.RequestApiVersion);
        Assert.Equal(1, frame.HeaderVersion);
        Assert.Equal(clientId, header.ClientId);
        Assert.Equal(0, unread);
    }

    [Theory]
    [InlineData("kcat", "metadata-v4.bin", 4)]
    [InlineData("confluent-kafka", "metadata-v4.bin", 4)]
    [InlineData("kafka-python", "metadata-v1.bin", 1)]
    [InlineData("kafkajs", "metadata-v6.bin", 6)]
    public void Metadata_asks_for_the_topic_about_to_be_produced_to(string client, string file, short version)
    {
        var (header, body, _) = ClientFrame.Load(client, file).Decode<MetadataRequest>();

        Assert.Equal((short)ApiKey.Metadata, header.RequestApiKey);
        Assert.Equal(version, header.RequestApiVersion);
        Assert.NotNull(body.Topics);
        Assert.Equal([Topic], body.Topics.Select(t => t.Name));
    }

    [Fact]
    public void Kafka_python_version_probe_asks_Metadata_v0_for_no_topics()
    {
        var (header, body, _) = ClientFrame.Load("kafka-python", "metadata-v0.bin").Decode<MetadataRequest>();

        Assert.Equal(0, header.RequestApiVersion);
        // v0 has no null array: an empty list is how v0 says "no topics" (it means all topics in v0!).
        Assert.NotNull(body.Topics);
        Assert.Empty(body.Topics);
    }

    private static readonly (string Client, string File, CompressionType Compression)[] s_produces =
    [
        ("kcat", "produce-v7-none.bin", CompressionType.None),
        ("kcat", "produce-v7-gzip.bin", CompressionType.Gzip),
        ("kcat", "produce-v7-snappy.bin", CompressionType.Snappy),
        ("kcat", "produce-v7-lz4.bin", CompressionType.Lz4),
        ("kcat", "produce-v7-zstd.bin", CompressionType.Zstd),
        ("kcat", "produce-v7-idempotent.bin", CompressionType.None),
        ("confluent-kafka", "produce-v7-none.bin", CompressionType.None),
        ("confluent-kafka", "produce-v7-snappy.bin", CompressionType.Snappy),
        ("kafka-python", "produce-v7-none.bin", CompressionType.None),
        ("kafka-python", "produce-v7-gzip.bin", CompressionType.Gzip),
        ("kafkajs", "produce-v7-none.bin", CompressionType.None),
        ("kafkajs", "produce-v7-gzip.bin", CompressionType.Gzip),
    ];

    public static TheoryData<string, string, CompressionType> Produces()
    {
        var data = new TheoryData<string, string, CompressionType>();
        foreach (var (client, file, compression) in s_produces)
        {
            data.Add(client, file, compression);
        }
        return data;
    }

    public static TheoryData<string, string> PlainProduces()
    {
        var data = new TheoryData<string, string>();
        foreach (var (client, file, _) in s_produces.Where(p => !p.File.Contains("idempotent", StringComparison.Ordinal)))
        {
            data.Add(client, file);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Produces))]
    public void Produce_carries_one_valid_batch_of_three_records(string client, string file, CompressionType compression)
    {
        var (header, body, _) = ClientFrame.Load(client, file).Decode<ProduceRequest>();

        Assert.Equal((short)ApiKey.Produce, header.RequestApiKey);
        Assert.Equal(7, header.RequestApiVersion);
        Assert.Null(body.TransactionalId);
        Assert.Equal(-1, body.Acks); // acks=all
        Assert.Equal(15000, body.TimeoutMs);
        var topic = Assert.Single(body.TopicData);
        Assert.Equal(Topic, topic.Name);
        var partition = Assert.Single(topic.PartitionData);
        Assert.Equal(0, partition.Index);
        Assert.NotNull(partition.Records);

        var records = partition.Records.Value.Span;
        Assert.True(RecordBatch.TryRead(records, out var batch, out var size));
        Assert.Equal(records.Length, size); // exactly one batch
        Assert.Equal(2, batch.Magic);
        Assert.True(batch.IsCrcValid);
        Assert.Equal(compression, batch.Compression);
        Assert.Equal(3, batch.RecordCount);
        Assert.Equal(2, batch.LastOffsetDelta);
        Assert.Equal(0, batch.BaseOffset); // the broker assigns offsets
        Assert.False(batch.IsTransactional);
        Assert.False(batch.IsControl);
        Assert.True(batch.MaxTimestamp >= batch.BaseTimestamp);
    }

    [Theory]
    [MemberData(nameof(PlainProduces))]
    public void Non_idempotent_batches_have_no_producer_id(string client, string file)
    {
        var (_, body, _) = ClientFrame.Load(client, file).Decode<ProduceRequest>();
        var batch = new RecordBatch(body.TopicData[0].PartitionData[0].Records!.Value.Span);

        Assert.Equal(-1, batch.ProducerId);
        if (client == "kafkajs")
        {
            // kafkajs leaves epoch and sequence at 0 when it is not idempotent: the broker must treat
            // producer id -1 as "no producer state" whatever the other two fields say.
            Assert.Equal(0, batch.ProducerEpoch);
            Assert.Equal(0, batch.BaseSequence);
        }
        else
        {
            Assert.Equal(-1, batch.ProducerEpoch);
            Assert.Equal(-1, batch.BaseSequence);
        }
    }

    [Fact]
    public void Idempotent_kcat_asks_for_a_producer_id_then_sequences_its_batch()
    {
        var (header, init, unread) = ClientFrame.Load("kcat", "initproducerid-v4.bin").Decode<InitProducerIdRequest>();
        Assert.Equal((short)ApiKey.InitProducerId, header.RequestApiKey);
        Assert.Equal(4, header.RequestApiVersion);
        Assert.Equal(2, ApiHeaders.RequestHeaderVersion(ApiKey.InitProducerId, 4));
        Assert.Equal(0, unread);
        Assert.Null(init.TransactionalId);
        Assert.Equal(-1, init.ProducerId);
        Assert.Equal(-1, init.ProducerEpoch);

        var (_, produce, _) = ClientFrame.Load("kcat", "produce-v7-idempotent.bin").Decode<ProduceRequest>();
        var batch = new RecordBatch(produce.TopicData[0].PartitionData[0].Records!.Value.Span);
        // fake_broker.py hands out producer id 1000, epoch 0; the first batch starts at sequence 0.
        Assert.Equal(1000, batch.ProducerId);
        Assert.Equal(0, batch.ProducerEpoch);
        Assert.Equal(0, batch.BaseSequence);
        Assert.Equal(2, batch.LastSequence);
        Assert.Equal(-1, produce.Acks); // idempotence forces acks=all
    }
}
