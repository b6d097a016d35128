using Broker.Protocol.Messages;

namespace Broker.Actors.Group.Consumer;

/// <summary>The consumer-protocol settings of the coordinator (<c>group.consumer.*</c>); the first assignor is the default.</summary>
public sealed record ConsumerGroupConfig(int SessionTimeoutMs, int HeartbeatIntervalMs, int MaxSize, IReadOnlyList<IPartitionAssignor> Assignors)
{
    public static ConsumerGroupConfig Default { get; } = new(45000, 5000, int.MaxValue, [new UniformAssignor(), new RangeAssignor()]);
}

/// <summary>What a call produced: the records to append (already applied here unless deferred) and, for a request, its answer.</summary>
public sealed record CoordinatorResult<T>(T Response, IReadOnlyList<CoordinatorRecord> Records);

/// <summary>
/// The consumer-protocol half of Kafka's GroupMetadataManager for the groups of one __consumer_offsets partition:
/// ConsumerGroupHeartbeat (join, reconcile, leave), session and rebalance timeouts, describe, and the member-epoch
/// checks of offset commits and fetches. Pure and single-threaded: the caller serializes calls and passes the time
/// in; each change is a list of records that is applied through <see cref="Replay"/> (the very path a load from the
/// log takes) and that the caller appends to the partition. With <see cref="AppliesOwnRecords"/> off the caller
/// replays them itself once the append succeeded, so a failed append leaves the groups as they were.
/// </summary>
public sealed partial class ConsumerGroupCoordinator
{
    private readonly Dictionary<string, ConsumerGroup> _groups = new(StringComparer.Ordinal);
    private readonly ConsumerGroupConfig _config;
    private readonly Func<string, bool> _classicGroupInUse;
    private readonly Func<string> _newMemberId;

    /// <param name="classicGroupInUse">Whether a classic group with members holds this id (it cannot become a consumer group).</param>
    /// <param name="newMemberId">Member ids for members that join without one (tests pass a deterministic source).</param>
    /// <param name="timers">Runs the session and rebalance timeouts; null keeps them in a table driven by <see cref="Tick"/>.</param>
    public ConsumerGroupCoordinator(ConsumerGroupConfig config, Func<string, bool>? classicGroupInUse = null, Func<string>? newMemberId = null,
        IConsumerGroupTimers? timers = null)
    {
        if (timers is null)
        {
            _table = new DeadlineTable();
        }
        _timers = timers ?? _table!;
        if (config.Assignors.Count == 0)
        {
            throw new ArgumentException("at least one assignor is needed", nameof(config));
        }
        _config = config;
        _classicGroupInUse = classicGroupInUse ?? (_ => false);
        _newMemberId = newMemberId ?? (() => Guid.NewGuid().ToString("N"));
    }

    public ConsumerGroupConfig Config => _config;

    /// <summary>
    /// True (default): a call applies the records it returns. False: the caller replays them through <see cref="Replay"/>
    /// once they are in the log (calls on one group must then wait for the previous one's records to be applied).
    /// </summary>
    public bool AppliesOwnRecords { get; init; } = true;

    public string DefaultAssignor => _config.Assignors[0].Name;

    public ConsumerGroup? Group(string groupId) => _groups.GetValueOrDefault(groupId);

    public bool IsConsumerGroup(string groupId) => _groups.ContainsKey(groupId);

    public IEnumerable<ConsumerGroup> Groups => _groups.Values;

    private IPartitionAssignor? Assignor(string name)
    {
        foreach (var a in _config.Assignors)
        {
            if (a.Name == name)
            {
                return a;
            }
        }
        return null;
    }

    private ConsumerGroup GroupOrThrow(string groupId) =>
        _groups.GetValueOrDefault(groupId) ?? throw new ConsumerGroupException(ErrorCode.GroupIdNotFound, $"Consumer group {groupId} not found.");

    private static ConsumerGroupMember MemberOrThrow(ConsumerGroup group, string memberId) =>
        group.Member(memberId) ?? throw new ConsumerGroupException(ErrorCode.UnknownMemberId,
            $"Member {memberId} is not a member of group {group.GroupId}.");
}
