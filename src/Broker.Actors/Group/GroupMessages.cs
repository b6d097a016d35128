using Broker.Protocol.Messages;

namespace Broker.Actors.Group;

/// <summary>
/// A request for one group, sent to the shard that owns the group's __consumer_offsets partition.
/// The shard answers through <c>Respond</c> on its own thread (the callback must not block), possibly
/// later (a JoinGroup waits for the rebalance, a commit for its append). <see cref="Fail"/> answers
/// with a group-level error when no shard can take the request (not loaded here, being unloaded).
/// </summary>
public abstract record GroupRequest(string GroupId)
{
    public abstract void Fail(ErrorCode error);

    /// <summary>
    /// While the shard replays its partition: true answers COORDINATOR_LOAD_IN_PROGRESS (the KIP-848 APIs, as Kafka),
    /// false waits in the shard's mailbox until the load is done (the classic APIs, as before).
    /// </summary>
    public virtual bool AnswersLoadInProgress => false;
}

public sealed record JoinGroup(JoinGroupRequest Request, short Version, string ClientId, string ClientHost, Action<JoinResult> Respond)
    : GroupRequest(Request.GroupId)
{
    public override void Fail(ErrorCode error) => Respond(new JoinResult((short)error, -1, null, null, string.Empty, Request.MemberId, []));
}

public sealed record SyncGroup(SyncGroupRequest Request, Action<SyncResult> Respond) : GroupRequest(Request.GroupId)
{
    public override void Fail(ErrorCode error) => Respond(new SyncResult((short)error, null, null, default));
}

public sealed record Heartbeat(HeartbeatRequest Request, Action<ErrorCode> Respond) : GroupRequest(Request.GroupId)
{
    public override void Fail(ErrorCode error) => Respond(error);
}

/// <summary>Members leave by member id, or by instance id for static members (LeaveGroup v3+ batches them).</summary>
public sealed record LeaveGroup(string Group, IReadOnlyList<(string MemberId, string? InstanceId)> Members, Action<LeaveResult> Respond)
    : GroupRequest(Group)
{
    public override void Fail(ErrorCode error) => Respond(new LeaveResult(error, []));
}

public readonly record struct OffsetToCommit(string Topic, int Partition, CommittedOffset Offset);

/// <summary>
/// OffsetCommit of partitions the handler already checked (topic exists, metadata size). The answer is
/// one error for all of them: the group's (generation, member) or the write's.
/// </summary>
public sealed record CommitOffsets(string Group, int GenerationId, string MemberId, string? InstanceId,
    IReadOnlyList<OffsetToCommit> Offsets, Action<ErrorCode> Respond) : GroupRequest(Group)
{
    /// <summary>The OffsetCommit version: a KIP-848 group answers a stale member epoch with STALE_MEMBER_EPOCH only from v9.</summary>
    public short ApiVersion { get; init; } = 9;

    public override void Fail(ErrorCode error) => Respond(error);
}

/// <summary>OffsetFetch: the requested partitions (-1 when none committed), or every committed one when Topics is null.</summary>
public sealed record FetchOffsets(string Group, IReadOnlyList<(string Topic, IReadOnlyList<int> Partitions)>? Topics, bool RequireStable,
    Action<FetchOffsetsResult> Respond) : GroupRequest(Group)
{
    /// <summary>OffsetFetch v9+: the member asking (a KIP-848 group checks its epoch); null and -1 for an admin client.</summary>
    public string? MemberId { get; init; }

    public int MemberEpoch { get; init; } = -1;

    public override void Fail(ErrorCode error) => Respond(new FetchOffsetsResult(error, []));
}

public sealed record FetchOffsetsResult(ErrorCode Error, IReadOnlyList<(string Topic, int Partition, CommittedOffset? Offset)> Offsets);

/// <summary>OffsetDelete (API 47).</summary>
public sealed record DeleteOffsets(string Group, IReadOnlyList<(string Topic, int Partition)> Partitions, Action<DeleteOffsetsResult> Respond)
    : GroupRequest(Group)
{
    public override void Fail(ErrorCode error) => Respond(new DeleteOffsetsResult(error, []));
}

public sealed record DeleteOffsetsResult(ErrorCode Error, IReadOnlyList<(string Topic, int Partition, ErrorCode Error)> Partitions);

public sealed record DescribeGroup(string Group, Action<GroupDescription> Respond) : GroupRequest(Group)
{
    public override void Fail(ErrorCode error) => Respond(new GroupDescription(error, GroupId, string.Empty, string.Empty, string.Empty, []));
}

public sealed record MemberDescription(string MemberId, string? GroupInstanceId, string ClientId, string ClientHost,
    ReadOnlyMemory<byte> Metadata, ReadOnlyMemory<byte> Assignment);

public sealed record GroupDescription(ErrorCode Error, string GroupId, string State, string ProtocolType, string Protocol, IReadOnlyList<MemberDescription> Members);

/// <summary>DeleteGroups for one group: only Empty groups go; tombstones for its offsets and metadata are written first.</summary>
public sealed record DeleteGroup(string Group, Action<ErrorCode> Respond) : GroupRequest(Group)
{
    public override void Fail(ErrorCode error) => Respond(error);
}

/// <summary>ListGroups is asked of every loaded shard; each answers with its groups passing the filters.</summary>
public sealed record ListGroups(IReadOnlyCollection<string> States, IReadOnlyCollection<string> Types, Action<ListGroupsResult> Respond);

public sealed record ListedGroup(string GroupId, string ProtocolType, string State, string GroupType);

public sealed record ListGroupsResult(ErrorCode Error, IReadOnlyList<ListedGroup> Groups);

/// <summary>Answered by a shard once it has replayed its partition (messages wait behind the load).</summary>
public sealed record ShardLoaded
{
    public static readonly ShardLoaded Instance = new();
}

/// <summary>The shard stops coordinating its partition (this node is no longer its leader).</summary>
public sealed record UnloadShard
{
    public static readonly UnloadShard Instance = new();
}
