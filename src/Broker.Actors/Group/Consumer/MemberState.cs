namespace Broker.Actors.Group.Consumer;

/// <summary>Where a member stands in its reconciliation (Kafka's MemberState; the byte is what the record stores).</summary>
public enum MemberState : sbyte
{
    /// <summary>Reconciled with the target assignment of its epoch.</summary>
    Stable = 0,

    /// <summary>Must revoke partitions before it may move to the next epoch.</summary>
    UnrevokedPartitions = 1,

    /// <summary>At the target epoch, but waits for partitions their previous owners have not revoked yet.</summary>
    UnreleasedPartitions = 2,

    /// <summary>A state written by a newer version; the member is fenced and reconciled from scratch.</summary>
    Unknown = 127,
}

/// <summary>The state of a consumer group as ListGroups and ConsumerGroupDescribe name it.</summary>
public enum ConsumerGroupState
{
    Empty,
    Assigning,
    Reconciling,
    Stable,
    Dead,
}

/// <summary>A topic as the group sees it when it assigns: id, name and partition count.</summary>
public sealed record TopicMetadata(Guid Id, string Name, int NumPartitions);

/// <summary>The topics of the cluster, as the group coordinator reads them. <see cref="Version"/> changes with every image.</summary>
public interface IConsumerGroupTopics
{
    long Version { get; }

    TopicMetadata? ByName(string name);

    TopicMetadata? ById(Guid id);
}
