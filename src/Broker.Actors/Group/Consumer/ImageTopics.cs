using Broker.Actors.Metadata;

namespace Broker.Actors.Group.Consumer;

/// <summary>A published metadata image as the KIP-848 coordinator reads topics; its offset is the version.</summary>
public sealed class MetadataImageTopics(MetadataImage image) : IConsumerGroupTopics
{
    public long Version => image.Offset;

    public TopicMetadata? ByName(string name) =>
        image.Topic(name) is { } t ? new TopicMetadata(t.Id, t.Name, t.Partitions.Length) : null;

    public TopicMetadata? ById(Guid id) =>
        image.Topic(id) is { } t ? new TopicMetadata(t.Id, t.Name, t.Partitions.Length) : null;
}

/// <summary>No topics at all (a shard started without a metadata source).</summary>
public sealed class NoTopics : IConsumerGroupTopics
{
    public static readonly NoTopics Instance = new();

    public long Version => 0;

    public TopicMetadata? ByName(string name) => null;

    public TopicMetadata? ById(Guid id) => null;
}
