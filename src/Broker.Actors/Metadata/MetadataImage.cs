using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Broker.Actors.Metadata;

/// <summary>One partition as the metadata log describes it.</summary>
public sealed record PartitionImage(
    int Partition,
    ImmutableArray<int> Replicas,
    ImmutableArray<int> Isr,
    int Leader,
    int LeaderEpoch,
    int PartitionEpoch)
{
    public ImmutableArray<int> OfflineReplicas { get; init; } = ImmutableArray<int>.Empty;

    /// <summary>Replicas being added by an ongoing reassignment (already in <see cref="Replicas"/>).</summary>
    public ImmutableArray<int> AddingReplicas { get; init; } = ImmutableArray<int>.Empty;

    /// <summary>Replicas being removed by an ongoing reassignment (still in <see cref="Replicas"/>).</summary>
    public ImmutableArray<int> RemovingReplicas { get; init; } = ImmutableArray<int>.Empty;

    public bool IsReassigning => !AddingReplicas.IsEmpty || !RemovingReplicas.IsEmpty;
}

/// <summary>One topic: its id, partitions and config overrides.</summary>
public sealed record TopicImage(string Name, Guid Id, ImmutableArray<PartitionImage> Partitions)
{
    public ImmutableDictionary<string, string> Configs { get; init; } = ImmutableDictionary<string, string>.Empty;
}

/// <summary>A registered broker and where clients reach it.</summary>
public sealed record BrokerImage(int NodeId, string Host, int Port, string? Rack, bool Fenced, Guid IncarnationId)
{
    /// <summary>The epoch the controller gave this registration; heartbeats must carry it.</summary>
    public long BrokerEpoch { get; init; } = -1;

    /// <summary>The broker asked to shut down and the controller is moving its leaderships away.</summary>
    public bool InControlledShutdown { get; init; }

    /// <summary>Kafka's listeners of the registration (name -> host:port); clients use the first non-controller one.</summary>
    public ImmutableArray<BrokerEndpointImage> Endpoints { get; init; } = ImmutableArray<BrokerEndpointImage>.Empty;
}

/// <summary>One listener of a registered broker.</summary>
public sealed record BrokerEndpointImage(string Name, string Host, int Port, short SecurityProtocol);

/// <summary>
/// The immutable view of cluster metadata at one offset of the <c>__cluster_metadata</c> log.
/// Handlers read it without locks; the controller publishes a new one after each applied batch.
/// </summary>
public sealed class MetadataImage
{
    public static readonly MetadataImage Empty = new(
        -1, string.Empty, FrozenDictionary<string, TopicImage>.Empty, FrozenDictionary<Guid, TopicImage>.Empty,
        ImmutableSortedDictionary<int, BrokerImage>.Empty, ImmutableDictionary<string, string>.Empty, 0);

    public MetadataImage(
        long offset,
        string clusterId,
        FrozenDictionary<string, TopicImage> topicsByName,
        FrozenDictionary<Guid, TopicImage> topicsById,
        ImmutableSortedDictionary<int, BrokerImage> brokers,
        ImmutableDictionary<string, string> brokerConfigs,
        long nextProducerId)
    {
        Offset = offset;
        ClusterId = clusterId;
        TopicsByName = topicsByName;
        TopicsById = topicsById;
        Brokers = brokers;
        BrokerConfigs = brokerConfigs;
        NextProducerId = nextProducerId;
    }

    /// <summary>Offset of the last applied metadata record.</summary>
    public long Offset { get; }
    public string ClusterId { get; }
    public FrozenDictionary<string, TopicImage> TopicsByName { get; }
    public FrozenDictionary<Guid, TopicImage> TopicsById { get; }
    public ImmutableSortedDictionary<int, BrokerImage> Brokers { get; }
    /// <summary>Dynamic cluster-wide broker config overrides.</summary>
    public ImmutableDictionary<string, string> BrokerConfigs { get; }
    /// <summary>Start of the next producer id block (AllocateProducerIds / ProducerIdsRecord).</summary>
    public long NextProducerId { get; }

    public TopicImage? Topic(string name) => TopicsByName.GetValueOrDefault(name);
    public TopicImage? Topic(Guid id) => TopicsById.GetValueOrDefault(id);
}
