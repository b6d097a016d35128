namespace Broker.Actors.Group;

/// <summary>
/// What a coordinator shard needs to know of any group, whatever its protocol: the classic
/// (JoinGroup/SyncGroup) <see cref="ClassicGroup"/> today, the KIP-848 consumer group next. A shard
/// keeps one dictionary of these; committed offsets are kept beside them (see the shard's offsets).
/// </summary>
public abstract class Group(string groupId)
{
    public string GroupId { get; } = groupId;

    /// <summary>The type ListGroups v5 filters on: "classic" or "consumer".</summary>
    public abstract string GroupType { get; }

    /// <summary>The state as Kafka names it in DescribeGroups / ListGroups.</summary>
    public abstract string StateName { get; }

    /// <summary>The protocol type ("consumer", "connect", ...) or empty when none is known.</summary>
    public abstract string ProtocolType { get; }

    /// <summary>No members: the group may be deleted and its offsets start to age.</summary>
    public abstract bool IsEmpty { get; }

    public abstract bool IsDead { get; }

    /// <summary>
    /// When the group last became Empty (ms since the epoch), the base of offset retention; null when
    /// it never had members (a "simple" group whose offsets age from their own commit time).
    /// </summary>
    public abstract long? EmptySinceMs { get; }

    /// <summary>
    /// Whether a member consumes <paramref name="topic"/>: OffsetDelete refuses those partitions and
    /// retention keeps their offsets. Unknown subscriptions count as subscribed, as in Kafka.
    /// </summary>
    public abstract bool IsSubscribedToTopic(string topic);
}
