namespace Broker.Host.Management;

/// <summary>One consumer group as <c>GET /groups</c> lists it, with the broker that coordinates it.</summary>
public sealed record GroupListing(string GroupId, string ProtocolType, string State, int CoordinatorId);

/// <summary>The body of <c>GET /groups</c>; <c>Errors</c> names brokers that could not be asked.</summary>
public sealed record GroupsView(IReadOnlyList<GroupListing> Groups, IReadOnlyList<string> Errors);

/// <summary>A topic and the partitions a member was assigned in it.</summary>
public sealed record AssignedPartitions(string Topic, IReadOnlyList<int> Partitions);

/// <summary>A group member with its assignment decoded (the consumer protocol's Assignment).</summary>
public sealed record GroupMemberView(
    string MemberId,
    string? GroupInstanceId,
    string ClientId,
    string ClientHost,
    IReadOnlyList<AssignedPartitions> Assignment);

/// <summary>
/// A partition of a group: its committed offset (null: none committed), the log end offset clients see
/// (ListOffsets latest on the partition's leader, as kafka-consumer-groups does), the lag between them,
/// and the member it is assigned to.
/// </summary>
public sealed record GroupPartitionView(string Topic, int Partition, long? CommittedOffset, long? LogEndOffset, long? Lag, string? MemberId);

/// <summary>The body of <c>GET /groups/{id}</c>.</summary>
public sealed record GroupView(
    string GroupId,
    string State,
    string ProtocolType,
    string Protocol,
    int CoordinatorId,
    IReadOnlyList<GroupMemberView> Members,
    IReadOnlyList<GroupPartitionView> Partitions,
    long TotalLag,
    IReadOnlyList<string> Errors);
