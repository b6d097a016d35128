namespace Broker.Actors.Metadata;

/// <summary>A topic to create. Partitions -1 / replication factor -1 mean the broker defaults.</summary>
public sealed record NewTopic(
    string Name,
    int NumPartitions,
    short ReplicationFactor,
    IReadOnlyDictionary<string, string?> Configs,
    IReadOnlyDictionary<int, IReadOnlyList<int>>? Assignments = null);

/// <summary>A topic named by name or by id (DeleteTopics v6+ allows ids).</summary>
public sealed record TopicRef(string? Name, Guid Id);

/// <summary>CreatePartitions: raise a topic's partition count to <paramref name="Count"/>.</summary>
public sealed record NewPartitions(string Topic, int Count, IReadOnlyList<IReadOnlyList<int>>? Assignments = null);

/// <summary>The outcome for one topic, with Kafka's error code (0 = none).</summary>
public sealed record TopicResult(
    string Name,
    Guid TopicId,
    short ErrorCode,
    string? ErrorMessage,
    int NumPartitions = -1,
    short ReplicationFactor = -1);

public enum ConfigResourceType : sbyte
{
    Unknown = 0,
    Topic = 2,
    Broker = 4,
    BrokerLogger = 8,
}

/// <summary>IncrementalAlterConfigs operations (AlterConfigs is a whole-set replacement).</summary>
public enum ConfigOperation : sbyte
{
    Set = 0,
    Delete = 1,
    Append = 2,
    Subtract = 3,
}

public sealed record ConfigEntryChange(string Name, string? Value, ConfigOperation Operation = ConfigOperation.Set);

/// <summary>Config changes for one resource (a topic name, or a broker id / "" for the cluster default).</summary>
public sealed record ConfigChange(ConfigResourceType ResourceType, string ResourceName, IReadOnlyList<ConfigEntryChange> Entries);

public sealed record ConfigResult(ConfigResourceType ResourceType, string ResourceName, short ErrorCode, string? ErrorMessage);

/// <summary>
/// The active controller as the broker's request handlers see it: commands become metadata records,
/// appended to the metadata log, applied, and published as a new <see cref="MetadataImage"/>.
/// Single node: a one-voter quorum; the cluster issue replaces the append with Raft.
/// </summary>
public interface IMetadataController
{
    /// <summary>The latest published image.</summary>
    MetadataImage Current { get; }

    /// <summary>Raised after each new image is published (in publication order).</summary>
    event Action<MetadataImage>? ImagePublished;

    Task<IReadOnlyList<TopicResult>> CreateTopicsAsync(IReadOnlyList<NewTopic> topics, bool validateOnly);

    Task<IReadOnlyList<TopicResult>> DeleteTopicsAsync(IReadOnlyList<TopicRef> topics);

    Task<IReadOnlyList<TopicResult>> CreatePartitionsAsync(IReadOnlyList<NewPartitions> requests, bool validateOnly);

    /// <summary>AlterConfigs (incremental = false: the entries replace all overrides) and IncrementalAlterConfigs.</summary>
    Task<IReadOnlyList<ConfigResult>> AlterConfigsAsync(IReadOnlyList<ConfigChange> changes, bool incremental, bool validateOnly);

    /// <summary>A fresh producer id for InitProducerId (ids come in blocks recorded in the metadata log).</summary>
    Task<long> AllocateProducerIdAsync();

    /// <summary>ElectLeaders (43): <paramref name="partitions"/> null means every partition (those already
    /// led as asked are then left out of the answer, as Kafka does).</summary>
    Task<IReadOnlyList<TopicPartitionResults>> ElectLeadersAsync(ElectionType type, IReadOnlyList<TopicPartitions>? partitions);

    /// <summary>AlterPartitionReassignments (45): starts, changes or cancels moves of partitions' replicas.</summary>
    Task<IReadOnlyList<TopicPartitionResults>> AlterPartitionReassignmentsAsync(IReadOnlyList<TopicReassignment> topics);

    /// <summary>ListPartitionReassignments (46): the moves in progress (<paramref name="partitions"/> null: all).</summary>
    Task<IReadOnlyList<OngoingReassignment>> ListPartitionReassignmentsAsync(IReadOnlyList<TopicPartitions>? partitions);

    /// <summary>Cluster leave (ControlledShutdown, 7): the broker's leaderships move away and its next heartbeat tells it
    /// to shut down gracefully (<paramref name="brokerEpoch"/> -1: its current registration).</summary>
    Task<MembershipReply> LeaveBrokerAsync(int brokerId, long brokerEpoch);

    /// <summary>Cluster down (UnregisterBroker, 64): the broker is fenced now and its leaderships move within the ISR;
    /// a live process must register again.</summary>
    Task<MembershipReply> DownBrokerAsync(int brokerId);
}
