namespace Broker.Host.Management;

/// <summary>One broker as <c>GET /cluster/members</c> reports it.</summary>
public sealed record MemberView(int NodeId, string Host, int Port, string? Rack, IReadOnlyList<string> Roles, string Status, bool Self)
{
    /// <summary>The epoch of the broker's current registration (null: a voter not registered as a broker); a new one
    /// after the broker registered again (restarted, or downed while still running).</summary>
    public long? BrokerEpoch { get; init; }
}

/// <summary>The body of <c>GET /cluster/members</c>: members plus the active controller.</summary>
public sealed record MembersView(string ClusterId, int ControllerId, int ControllerEpoch, long MetadataOffset, IReadOnlyList<MemberView> Members);

/// <summary>One partition with the local replica's offsets (null when this node holds no replica).</summary>
public sealed record PartitionView(
    int Partition,
    int Leader,
    int LeaderEpoch,
    IReadOnlyList<int> Replicas,
    IReadOnlyList<int> Isr,
    long? LogStartOffset,
    long? LogEndOffset,
    long? HighWatermark)
{
    /// <summary>Replicas a reassignment in progress adds (already in <see cref="Replicas"/>; empty when none).</summary>
    public IReadOnlyList<int> AddingReplicas { get; init; } = [];

    /// <summary>Replicas a reassignment in progress removes (still in <see cref="Replicas"/>; empty when none).</summary>
    public IReadOnlyList<int> RemovingReplicas { get; init; } = [];
}

public sealed record TopicView(string Name, Guid TopicId, IReadOnlyList<PartitionView> Partitions);

public sealed record PartitionsView(IReadOnlyList<TopicView> Topics);

/// <summary>Replicas and leaders per node (Akka's shard region stats, per broker).</summary>
public sealed record RegionStatsView(IReadOnlyList<NodeRegionStats> Nodes);

public sealed record NodeRegionStats(int NodeId, int Replicas, int Leaders);

/// <summary>Error or outcome body of the state-changing routes.</summary>
public sealed record ManagementMessage(string Message);
