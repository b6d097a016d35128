namespace Broker.Actors.Group.Consumer;

/// <summary>
/// One member of a consumer-protocol group (Kafka's ConsumerGroupMember): what it subscribes to (persisted as
/// ConsumerGroupMemberMetadata) and where its assignment stands (ConsumerGroupCurrentMemberAssignment). Immutable:
/// an update is a new instance, so "did anything change" is a comparison.
/// </summary>
public sealed record ConsumerGroupMember
{
    /// <summary>Epoch of a member that left (or was fenced); also the epoch of a tombstoned assignment.</summary>
    public const int LeaveGroupMemberEpoch = -1;

    /// <summary>Epoch of a static member that left temporarily and keeps its partitions until its session expires.</summary>
    public const int LeaveGroupStaticMemberEpoch = -2;

    public required string MemberId { get; init; }

    public string? InstanceId { get; init; }

    public string? RackId { get; init; }

    public string ClientId { get; init; } = string.Empty;

    public string ClientHost { get; init; } = string.Empty;

    /// <summary>Sorted and distinct.</summary>
    public IReadOnlyList<string> SubscribedTopicNames { get; init; } = [];

    public int RebalanceTimeoutMs { get; init; } = -1;

    public string? ServerAssignor { get; init; }

    public int MemberEpoch { get; init; }

    public int PreviousMemberEpoch { get; init; }

    public MemberState State { get; init; } = MemberState.Stable;

    /// <summary>Partitions the member owns or may start using.</summary>
    public Assignment AssignedPartitions { get; init; } = Assignment.Empty;

    /// <summary>Partitions the member still owns but must give up before it moves on.</summary>
    public Assignment PartitionsPendingRevocation { get; init; } = Assignment.Empty;

    public bool IsReconciledTo(int targetAssignmentEpoch) => State == MemberState.Stable && MemberEpoch == targetAssignmentEpoch;

    /// <summary>A new epoch moves the current one to previous (a lost response may come back with it).</summary>
    public ConsumerGroupMember WithMemberEpoch(int epoch) => this with { PreviousMemberEpoch = MemberEpoch, MemberEpoch = epoch };

    public bool SameMetadata(ConsumerGroupMember other) =>
        MemberId == other.MemberId && InstanceId == other.InstanceId && RackId == other.RackId && ClientId == other.ClientId
        && ClientHost == other.ClientHost && RebalanceTimeoutMs == other.RebalanceTimeoutMs && ServerAssignor == other.ServerAssignor
        && SubscribedTopicNames.SequenceEqual(other.SubscribedTopicNames, StringComparer.Ordinal);

    public bool SameAssignmentState(ConsumerGroupMember other) =>
        MemberEpoch == other.MemberEpoch && PreviousMemberEpoch == other.PreviousMemberEpoch && State == other.State
        && AssignedPartitions.Equals(other.AssignedPartitions) && PartitionsPendingRevocation.Equals(other.PartitionsPendingRevocation);

    public static IReadOnlyList<string> Normalize(IEnumerable<string> topics) =>
        topics.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
}
