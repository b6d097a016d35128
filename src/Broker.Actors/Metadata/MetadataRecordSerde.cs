using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;
using Broker.Protocol.Primitives;

namespace Broker.Actors.Metadata;

/// <summary>
/// KRaft's framing of one metadata record as a record value in <c>__cluster_metadata</c>:
/// frame version (uvarint, 1) | record type (uvarint) | record version (uvarint) | record data.
/// </summary>
public static class MetadataRecordSerde
{
    private const uint FrameVersion = 1;

    public static byte[] Serialize(IKafkaMessage record)
    {
        var (type, version) = TypeOf(record);
        var header = KafkaEncoding.SizeOfUnsignedVarInt(FrameVersion) + KafkaEncoding.SizeOfUnsignedVarInt((uint)type) + KafkaEncoding.SizeOfUnsignedVarInt((uint)version);
        var bytes = new byte[header + record.Size(version)];
        var writer = new KafkaWriter(bytes);
        writer.WriteUnsignedVarInt(FrameVersion);
        writer.WriteUnsignedVarInt((uint)type);
        writer.WriteUnsignedVarInt((uint)version);
        record.Write(ref writer, version);
        return bytes;
    }

    public static IKafkaMessage Deserialize(ReadOnlyMemory<byte> value)
    {
        var reader = new KafkaReader(value);
        var frame = reader.ReadUnsignedVarInt();
        if (frame != FrameVersion)
        {
            throw new ProtocolException($"unknown metadata record frame version {frame}");
        }
        var type = (MetadataRecordType)reader.ReadUnsignedVarInt();
        var version = (short)reader.ReadUnsignedVarInt();
        IKafkaMessage record = type switch
        {
            MetadataRecordType.RegisterBrokerRecord => new RegisterBrokerRecord(),
            MetadataRecordType.TopicRecord => new TopicRecord(),
            MetadataRecordType.PartitionRecord => new PartitionRecord(),
            MetadataRecordType.ConfigRecord => new ConfigRecord(),
            MetadataRecordType.PartitionChangeRecord => new PartitionChangeRecord(),
            MetadataRecordType.FenceBrokerRecord => new FenceBrokerRecord(),
            MetadataRecordType.UnfenceBrokerRecord => new UnfenceBrokerRecord(),
            MetadataRecordType.RemoveTopicRecord => new RemoveTopicRecord(),
            MetadataRecordType.FeatureLevelRecord => new FeatureLevelRecord(),
            MetadataRecordType.ProducerIdsRecord => new ProducerIdsRecord(),
            MetadataRecordType.NoOpRecord => new NoOpRecord(),
            MetadataRecordType.BrokerRegistrationChangeRecord => new BrokerRegistrationChangeRecord(),
            MetadataRecordType.UnregisterBrokerRecord => new UnregisterBrokerRecord(),
            _ => throw new ProtocolException($"unsupported metadata record type {type}"),
        };
        record.Read(ref reader, version);
        return record;
    }

    private static (MetadataRecordType Type, short Version) TypeOf(IKafkaMessage record) => record switch
    {
        RegisterBrokerRecord => (MetadataRecordType.RegisterBrokerRecord, RegisterBrokerRecord.HighestVersion),
        TopicRecord => (MetadataRecordType.TopicRecord, TopicRecord.HighestVersion),
        PartitionRecord => (MetadataRecordType.PartitionRecord, 0),
        ConfigRecord => (MetadataRecordType.ConfigRecord, ConfigRecord.HighestVersion),
        PartitionChangeRecord => (MetadataRecordType.PartitionChangeRecord, 0),
        FenceBrokerRecord => (MetadataRecordType.FenceBrokerRecord, FenceBrokerRecord.HighestVersion),
        UnfenceBrokerRecord => (MetadataRecordType.UnfenceBrokerRecord, UnfenceBrokerRecord.HighestVersion),
        RemoveTopicRecord => (MetadataRecordType.RemoveTopicRecord, RemoveTopicRecord.HighestVersion),
        FeatureLevelRecord => (MetadataRecordType.FeatureLevelRecord, FeatureLevelRecord.HighestVersion),
        ProducerIdsRecord => (MetadataRecordType.ProducerIdsRecord, ProducerIdsRecord.HighestVersion),
        NoOpRecord => (MetadataRecordType.NoOpRecord, NoOpRecord.HighestVersion),
        BrokerRegistrationChangeRecord => (MetadataRecordType.BrokerRegistrationChangeRecord, BrokerRegistrationChangeRecord.HighestVersion),
        UnregisterBrokerRecord => (MetadataRecordType.UnregisterBrokerRecord, UnregisterBrokerRecord.HighestVersion),
        _ => throw new ArgumentException($"not a metadata record: {record.GetType().Name}"),
    };
}
