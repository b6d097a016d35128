using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;

namespace Broker.Actors.Metadata;

/// <summary>
/// A <see cref="MetadataImage"/> as the records that rebuild it (Kafka's image -> records for snapshots):
/// replaying <see cref="ToRecords"/> through a <see cref="MetadataDelta"/> from the empty image gives back
/// the same image. Keep it in step with MetadataDelta when the image grows.
/// </summary>
public static class MetadataImageRecords
{
    public static List<IKafkaMessage> ToRecords(MetadataImage image)
    {
        var records = new List<IKafkaMessage>();
        foreach (var broker in image.Brokers.Values)
        {
            records.Add(new RegisterBrokerRecord
            {
                BrokerId = broker.NodeId,
                IncarnationId = broker.IncarnationId,
                BrokerEpoch = broker.BrokerEpoch,
                EndPoints = broker.Endpoints.IsEmpty
                    ? [new() { Name = "PLAINTEXT", Host = broker.Host, Port = (ushort)broker.Port }]
                    : [.. broker.Endpoints.Select(e => new RegisterBrokerRecord.BrokerEndpoint { Name = e.Name, Host = e.Host, Port = (ushort)e.Port, SecurityProtocol = e.SecurityProtocol })],
                Rack = broker.Rack,
                Fenced = broker.Fenced,
                InControlledShutdown = broker.InControlledShutdown,
            });
        }
        foreach (var (name, value) in image.BrokerConfigs.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            records.Add(new ConfigRecord { ResourceType = (sbyte)ConfigResourceType.Broker, ResourceName = "", Name = name, Value = value });
        }
        foreach (var topic in image.TopicsById.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            records.Add(new TopicRecord { Name = topic.Name, TopicId = topic.Id });
            foreach (var partition in topic.Partitions)
            {
                records.Add(new PartitionRecord
                {
                    PartitionId = partition.Partition,
                    TopicId = topic.Id,
                    Replicas = [.. partition.Replicas],
                    Isr = [.. partition.Isr],
                    AddingReplicas = [.. partition.AddingReplicas],
                    RemovingReplicas = [.. partition.RemovingReplicas],
                    Leader = partition.Leader,
                    LeaderEpoch = partition.LeaderEpoch,
                    PartitionEpoch = partition.PartitionEpoch,
                });
            }
            foreach (var (name, value) in topic.Configs.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                records.Add(new ConfigRecord { ResourceType = (sbyte)ConfigResourceType.Topic, ResourceName = topic.Name, Name = name, Value = value });
            }
        }
        if (image.NextProducerId > 0)
        {
            records.Add(new ProducerIdsRecord { BrokerId = -1, NextProducerId = image.NextProducerId });
        }
        return records;
    }
}
