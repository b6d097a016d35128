using Broker.Actors.Metadata;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;

namespace Broker.Actors.Tests.Metadata;

public sealed class MetadataSnapshotTests
{
    private static MetadataImage SampleImage()
    {
        var delta = new MetadataDelta(MetadataImage.Empty);
        var orders = Guid.NewGuid();
        IKafkaMessage[] records =
        [
            new RegisterBrokerRecord
            {
                BrokerId = 1, IncarnationId = Guid.NewGuid(), BrokerEpoch = 7, Rack = "r1", Fenced = false,
                EndPoints = [new() { Name = "PLAINTEXT", Host = "h1", Port = 9092 }, new() { Name = "CONTROLLER", Host = "h1", Port = 9093 }],
            },
            new RegisterBrokerRecord { BrokerId = 2, IncarnationId = Guid.NewGuid(), BrokerEpoch = 9, Rack = null, Fenced = true, EndPoints = [new() { Name = "PLAINTEXT", Host = "h2", Port = 9092 }] },
            new TopicRecord { Name = "orders", TopicId = orders },
            new PartitionRecord { PartitionId = 0, TopicId = orders, Replicas = [1, 2], Isr = [1], Leader = 1, LeaderEpoch = 3, PartitionEpoch = 5 },
            new PartitionRecord { PartitionId = 1, TopicId = orders, Replicas = [2, 1, 3], Isr = [2, 1], Leader = 2, LeaderEpoch = 0, PartitionEpoch = 0, AddingReplicas = [3] },
            new ConfigRecord { ResourceType = (sbyte)ConfigResourceType.Topic, ResourceName = "orders", Name = "retention.ms", Value = "1000" },
            new ConfigRecord { ResourceType = (sbyte)ConfigResourceType.Broker, ResourceName = "", Name = "log.retention.ms", Value = "5000" },
            new ProducerIdsRecord { BrokerId = 1, BrokerEpoch = 7, NextProducerId = 4000 },
        ];
        foreach (var record in records)
        {
            delta.Replay(record);
        }
        return delta.Apply(42, "cluster");
    }

    [Fact]
    public void Image_to_records_and_back_through_a_snapshot_gives_the_same_image()
    {
        var image = SampleImage();
        var bytes = MetadataSnapshot.Encode(MetadataImageRecords.ToRecords(image), 123);
        var delta = new MetadataDelta(MetadataImage.Empty);
        foreach (var record in MetadataSnapshot.Decode(bytes))
        {
            delta.Replay(record);
        }
        var rebuilt = delta.Apply(42, "cluster");

        Assert.Equal(image.Brokers.Keys, rebuilt.Brokers.Keys);
        foreach (var (id, broker) in image.Brokers)
        {
            var other = rebuilt.Brokers[id];
            Assert.Equal(broker with { Endpoints = default }, other with { Endpoints = default });
            Assert.Equal(broker.Endpoints.ToArray(), other.Endpoints.ToArray());
        }
        Assert.Equal(image.BrokerConfigs, rebuilt.BrokerConfigs);
        Assert.Equal(image.NextProducerId, rebuilt.NextProducerId);
        var topic = image.Topic("orders")!;
        var rebuiltTopic = rebuilt.Topic("orders")!;
        Assert.Equal(topic.Id, rebuiltTopic.Id);
        Assert.Equal(topic.Configs, rebuiltTopic.Configs);
        Assert.Equal(topic.Partitions.Length, rebuiltTopic.Partitions.Length);
        for (var i = 0; i < topic.Partitions.Length; i++)
        {
            var (a, b) = (topic.Partitions[i], rebuiltTopic.Partitions[i]);
            Assert.Equal((a.Partition, a.Leader, a.LeaderEpoch, a.PartitionEpoch), (b.Partition, b.Leader, b.LeaderEpoch, b.PartitionEpoch));
            Assert.Equal(a.Replicas.ToArray(), b.Replicas.ToArray());
            Assert.Equal(a.Isr.ToArray(), b.Isr.ToArray());
            Assert.Equal(a.AddingReplicas.ToArray(), b.AddingReplicas.ToArray());
        }
    }

    [Fact]
    public void A_snapshot_without_its_footer_is_rejected()
    {
        var bytes = MetadataSnapshot.Encode(MetadataImageRecords.ToRecords(SampleImage()), 1);
        // Drop the last batch (the footer): find where it starts by walking the batches.
        var offsets = new List<int>();
        var position = 0;
        while (position < bytes.Length)
        {
            offsets.Add(position);
            position += 12 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position + 8));
        }
        Assert.Throws<Broker.Protocol.Primitives.ProtocolException>(() => MetadataSnapshot.Decode(bytes.AsMemory(0, offsets[^1])));
        Assert.Throws<Broker.Protocol.Primitives.ProtocolException>(() => MetadataSnapshot.Decode(bytes.AsMemory(0, bytes.Length - 3)));
    }

    [Fact]
    public void A_metadata_batch_round_trips_as_one_entry_value()
    {
        IKafkaMessage[] records = [new TopicRecord { Name = "t", TopicId = Guid.NewGuid() }, new NoOpRecord()];
        var decoded = MetadataBatchCodec.Decode(MetadataBatchCodec.Encode(records));
        Assert.Equal("t", Assert.IsType<TopicRecord>(decoded[0]).Name);
        Assert.IsType<NoOpRecord>(decoded[1]);
        Assert.Throws<Broker.Protocol.Primitives.ProtocolException>(() => MetadataBatchCodec.Decode(new byte[] { 200, 1, 5 }));
    }
}
