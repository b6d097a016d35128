using System.Collections.Frozen;
using System.Collections.Immutable;
using Broker.Protocol.Messages;
using Broker.Protocol.Metadata;

namespace Broker.Actors.Metadata;

/// <summary>
/// Applies metadata records to an image, producing the next image (replay at startup and every
/// controller command go through here, so the log is the only source of truth).
/// </summary>
public sealed class MetadataDelta
{
    private readonly Dictionary<Guid, TopicImage> _topics;
    private ImmutableSortedDictionary<int, BrokerImage> _brokers;
    private ImmutableDictionary<string, string> _brokerConfigs;
    private long _nextProducerId;
    private readonly string _clusterId;

    public MetadataDelta(MetadataImage image)
    {
        _topics = image.TopicsById.ToDictionary(kv => kv.Key, kv => kv.Value);
        _brokers = image.Brokers;
        _brokerConfigs = image.BrokerConfigs;
        _nextProducerId = image.NextProducerId;
        _clusterId = image.ClusterId;
    }

    public void Replay(IKafkaMessage record)
    {
        switch (record)
        {
            case TopicRecord t:
                _topics[t.TopicId] = new TopicImage(t.Name, t.TopicId, ImmutableArray<PartitionImage>.Empty);
                break;
            case PartitionRecord p when _topics.TryGetValue(p.TopicId, out var topic):
                var partition = new PartitionImage(p.PartitionId, [.. p.Replicas], [.. p.Isr], p.Leader, p.LeaderEpoch, p.PartitionEpoch)
                {
                    AddingReplicas = [.. p.AddingReplicas],
                    RemovingReplicas = [.. p.RemovingReplicas],
                };
                _topics[p.TopicId] = topic with { Partitions = Upsert(topic.Partitions, partition) };
                break;
            case PartitionChangeRecord c when _topics.TryGetValue(c.TopicId, out var topic):
                var old = topic.Partitions.FirstOrDefault(x => x.Partition == c.PartitionId);
                if (old is not null)
                {
                    _topics[c.TopicId] = topic with { Partitions = Upsert(topic.Partitions, ApplyChange(old, c)) };
                }
                break;
            case RemoveTopicRecord r:
                _topics.Remove(r.TopicId);
                break;
            case ConfigRecord c:
                ApplyConfig(c);
                break;
            case RegisterBrokerRecord b:
                var endpoints = b.EndPoints.Select(e => new BrokerEndpointImage(e.Name, e.Host, e.Port, e.SecurityProtocol)).ToImmutableArray();
                // Clients reach a broker on its first endpoint that is not a controller listener.
                var endpoint = endpoints.FirstOrDefault(e => !e.Name.StartsWith("CONTROLLER", StringComparison.OrdinalIgnoreCase)) ?? endpoints.FirstOrDefault();
                _brokers = _brokers.SetItem(b.BrokerId, new BrokerImage(b.BrokerId, endpoint?.Host ?? "", endpoint?.Port ?? 0, b.Rack, b.Fenced, b.IncarnationId)
                {
                    BrokerEpoch = b.BrokerEpoch,
                    InControlledShutdown = b.InControlledShutdown,
                    Endpoints = endpoints,
                });
                break;
            case FenceBrokerRecord f when _brokers.TryGetValue(f.Id, out var broker):
                _brokers = _brokers.SetItem(f.Id, broker with { Fenced = true, InControlledShutdown = false });
                break;
            case UnfenceBrokerRecord u when _brokers.TryGetValue(u.Id, out var broker):
                _brokers = _brokers.SetItem(u.Id, broker with { Fenced = false });
                break;
            case BrokerRegistrationChangeRecord rc when _brokers.TryGetValue(rc.BrokerId, out var broker):
                // Fenced: -1 unfenced, 0 no change, 1 fenced; InControlledShutdown: 0 no change, 1 entered (Kafka's encoding).
                var fenced = rc.Fenced switch { -1 => false, 1 => true, _ => broker.Fenced };
                var shuttingDown = rc.InControlledShutdown == 1 || broker.InControlledShutdown;
                _brokers = _brokers.SetItem(rc.BrokerId, broker with { Fenced = fenced, InControlledShutdown = shuttingDown && !fenced });
                break;
            case UnregisterBrokerRecord ur:
                _brokers = _brokers.Remove(ur.BrokerId);
                break;
            case ProducerIdsRecord ids:
                _nextProducerId = Math.Max(_nextProducerId, ids.NextProducerId);
                break;
        }
    }

    /// <summary>A PartitionChangeRecord on a partition: absent fields keep their value; Leader -2 means no
    /// change, -1 no leader; the leader epoch moves with every leader change, the partition epoch always.</summary>
    public static PartitionImage ApplyChange(PartitionImage old, PartitionChangeRecord c)
    {
        var leaderChanged = c.Leader != -2;
        return old with
        {
            Isr = c.Isr is null ? old.Isr : [.. c.Isr],
            Replicas = c.Replicas is null ? old.Replicas : [.. c.Replicas],
            AddingReplicas = c.AddingReplicas is null ? old.AddingReplicas : [.. c.AddingReplicas],
            RemovingReplicas = c.RemovingReplicas is null ? old.RemovingReplicas : [.. c.RemovingReplicas],
            Leader = leaderChanged ? c.Leader : old.Leader,
            LeaderEpoch = leaderChanged ? old.LeaderEpoch + 1 : old.LeaderEpoch,
            PartitionEpoch = old.PartitionEpoch + 1,
        };
    }

    private void ApplyConfig(ConfigRecord c)
    {
        switch ((ConfigResourceType)c.ResourceType)
        {
            case ConfigResourceType.Topic:
                var topic = _topics.Values.FirstOrDefault(t => t.Name == c.ResourceName);
                if (topic is not null)
                {
                    var configs = c.Value is null ? topic.Configs.Remove(c.Name) : topic.Configs.SetItem(c.Name, c.Value);
                    _topics[topic.Id] = topic with { Configs = configs };
                }
                break;
            case ConfigResourceType.Broker:
                _brokerConfigs = c.Value is null ? _brokerConfigs.Remove(c.Name) : _brokerConfigs.SetItem(c.Name, c.Value);
                break;
        }
    }

    private static ImmutableArray<PartitionImage> Upsert(ImmutableArray<PartitionImage> partitions, PartitionImage partition)
    {
        var index = partitions.IndexOf(partitions.FirstOrDefault(p => p.Partition == partition.Partition)!);
        var list = index >= 0 ? partitions.SetItem(index, partition) : partitions.Add(partition);
        return list.Sort((a, b) => a.Partition.CompareTo(b.Partition));
    }

    /// <summary>The image of an empty log in cluster <paramref name="clusterId"/>.</summary>
    public static MetadataImage Empty(string clusterId) => new MetadataDelta(MetadataImage.Empty).Apply(-1, clusterId);

    public MetadataImage Apply(long offset, string? clusterId = null) => new(
        offset,
        clusterId ?? _clusterId,
        _topics.Values.ToFrozenDictionary(t => t.Name, StringComparer.Ordinal),
        _topics.ToFrozenDictionary(),
        _brokers,
        _brokerConfigs,
        _nextProducerId);
}
