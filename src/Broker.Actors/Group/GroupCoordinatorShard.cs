using Broker.Actors.Group.Consumer;
using Broker.Actors.Kernel;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;
using Microsoft.Extensions.Logging;

namespace Broker.Actors.Group;

/// <summary>
/// The coordinator of one __consumer_offsets partition (Kafka's coordinator shard). It owns the groups
/// and committed offsets that hash to its partition: no locks, one message at a time. It rebuilds them
/// by replaying the partition when it starts (event sourcing), writes every change as Kafka's own
/// records before answering, and keeps time with <c>Context.Timers</c> (sessions, rebalance and sync
/// deadlines, the initial rebalance delay, offset retention). Both protocols live here: a group id is
/// either a classic group or a KIP-848 consumer group of this shard. Aspects live in partial files:
/// .Join (JoinGroup), .Sync (SyncGroup, Heartbeat, LeaveGroup), .Timers, .Offsets (commit, fetch,
/// delete, expiry), .Admin (list, describe, delete), .Records (replay and the records written),
/// .Consumer (ConsumerGroupHeartbeat, ConsumerGroupDescribe, apply-after-append), .ConsumerTimers.
/// </summary>
public sealed partial class GroupCoordinatorShard : ActorBase
{
    private readonly IOffsetsPartitionLog _log;
    private readonly GroupCoordinatorSettings _settings;

    /// <summary>Every group of this partition, classic or KIP-848 (the <see cref="ConsumerGroup"/>s of <see cref="_consumer"/>), by id.</summary>
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);

    /// <summary>Committed offsets by group, kept apart from membership as in Kafka's OffsetMetadataManager.</summary>
    private readonly Dictionary<string, Dictionary<(string Topic, int Partition), CommittedOffset>> _offsets = new(StringComparer.Ordinal);

    /// <summary>Writes in flight: what to do once the partition acknowledged them.</summary>
    private readonly Dictionary<long, Action<ErrorCode>> _pendingWrites = [];
    private long _nextWrite;
    private bool _unloaded;

    private GroupCoordinatorShard(IOffsetsPartitionLog log, GroupCoordinatorSettings settings, Func<IConsumerGroupTopics> topics)
    {
        _log = log;
        _settings = settings;
        _topics = topics;
        _consumer = new ConsumerGroupCoordinator(settings.Consumer, IsClassicGroupInUse, timers: this) { AppliesOwnRecords = false };
    }

    /// <param name="topics">The topics as the KIP-848 assignors see them (the current metadata image); none when null.</param>
    public static Props Props(IOffsetsPartitionLog log, GroupCoordinatorSettings settings, Func<IConsumerGroupTopics>? topics = null) =>
        Kernel.Props.Create(() => new GroupCoordinatorShard(log, settings, topics ?? (() => NoTopics.Instance)));

    private static ClassicGroup NewClassicGroup(string groupId) => new(groupId);

    public int Partition => _log.Partition;

    private long NowMs => Context.System.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Replays the partition before the first request (requests wait in the mailbox meanwhile).</summary>
    protected override void PreStart()
    {
        var started = Environment.TickCount64;
        Replay();
        var interval = TimeSpan.FromMilliseconds(Math.Max(1, _settings.OffsetsRetentionCheckIntervalMs));
        Context.Timers.StartPeriodicTimer(ExpireOffsets.Instance, ExpireOffsets.Instance, interval);
        Log.LogDebug("__consumer_offsets-{Partition}: loaded {Groups} groups and offsets of {OffsetGroups} in {Ms} ms",
            _log.Partition, _groups.Count, _offsets.Count, Environment.TickCount64 - started);
    }

    protected override void OnReceive(object message)
    {
        if (message is WriteCompleted written)
        {
            CompleteWrite(written);
            return;
        }
        if (_unloaded)
        {
            OnReceiveUnloaded(message);
            return;
        }
        if (WaitsForConsumerWrite(message))
        {
            return;
        }
        switch (message)
        {
            case ConsumerGroupHeartbeat heartbeat:
                HandleConsumerHeartbeat(heartbeat);
                break;
            case DescribeConsumerGroup describe:
                describe.Respond(_consumer.Describe(describe.GroupId, _topics()));
                break;
            case ConsumerSessionTimeout timeout:
                OnConsumerSessionTimeout(timeout);
                break;
            case ConsumerRebalanceTimeout timeout:
                OnConsumerRebalanceTimeout(timeout);
                break;
            case Heartbeat heartbeat:
                heartbeat.Respond(HandleHeartbeat(heartbeat.Request));
                break;
            case CommitOffsets commit:
                HandleCommit(commit);
                break;
            case FetchOffsets fetch:
                HandleFetch(fetch);
                break;
            case JoinGroup join:
                HandleJoin(join);
                break;
            case SyncGroup sync:
                HandleSync(sync);
                break;
            case LeaveGroup leave:
                leave.Respond(HandleLeave(leave.GroupId, leave.Members));
                break;
            case SessionCheck check:
                OnSessionCheck(check);
                break;
            case JoinDeadline deadline:
                OnJoinDeadline(deadline);
                break;
            case SyncDeadline deadline:
                OnSyncDeadline(deadline);
                break;
            case PendingMemberExpiry expiry:
                OnPendingMemberExpiry(expiry);
                break;
            case ExpireOffsets:
                RunOffsetExpiry();
                break;
            case DescribeGroup describe:
                describe.Respond(HandleDescribe(describe.GroupId));
                break;
            case ListGroups list:
                list.Respond(HandleList(list));
                break;
            case DeleteGroup delete:
                HandleDeleteGroup(delete);
                break;
            case DeleteOffsets delete:
                HandleDeleteOffsets(delete);
                break;
            case ShardLoaded:
                Sender.Tell(ShardLoaded.Instance);
                break;
            case UnloadShard:
                Unload();
                break;
            case StopShard:
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// This node no longer coordinates the partition: whoever waits is told NOT_COORDINATOR (the client
    /// looks the coordinator up again), the state is dropped, and the shard stops after a grace period
    /// in which late requests get the same answer.
    /// </summary>
    private void Unload()
    {
        _unloaded = true;
        Context.Timers.CancelAll();
        foreach (var group in _groups.Values)
        {
            if (group is ClassicGroup classic)
            {
                foreach (var member in classic.Members.Values)
                {
                    member.AwaitingJoin?.Invoke(JoinError(ErrorCode.NotCoordinator, member.MemberId));
                    member.AwaitingSync?.Invoke(SyncError(ErrorCode.NotCoordinator));
                    member.AwaitingJoin = null;
                    member.AwaitingSync = null;
                }
            }
        }
        FailConsumerWaiters(ErrorCode.NotCoordinator);
        _groups.Clear();
        _offsets.Clear();
        Context.Timers.StartSingleTimer(StopShard.Instance, StopShard.Instance, _settings.UnloadGracePeriod);
    }

    private void OnReceiveUnloaded(object message)
    {
        switch (message)
        {
            case GroupRequest request:
                request.Fail(ErrorCode.NotCoordinator);
                break;
            case ListGroups list:
                list.Respond(new ListGroupsResult(ErrorCode.None, []));
                break;
            case ShardLoaded:
                Sender.Tell(ShardLoaded.Instance);
                break;
            case StopShard:
                Context.Stop(Self);
                break;
        }
    }

    /// <summary>
    /// Appends records to the partition; <paramref name="then"/> runs on this shard once the append
    /// is acknowledged, with the error a client should see (Kafka's mapping of log errors to group errors).
    /// </summary>
    private void Write(List<(byte[] Key, byte[]? Value)> records, Action<ErrorCode> then)
    {
        byte[] batch;
        using (var builder = new RecordBatchBuilder(CompressionType.None, 256))
        {
            var now = NowMs;
            foreach (var (key, value) in records)
            {
                builder.Append(now, key, value);
            }
            batch = builder.ToArray();
        }
        var id = ++_nextWrite;
        _pendingWrites[id] = then;
        var self = Self;
        try
        {
            _log.Append(batch, error => self.Tell(new WriteCompleted(id, error)));
        }
        catch (Exception ex)
        {
            Log.LogWarning(ex, "__consumer_offsets-{Partition}: append failed", _log.Partition);
            self.Tell(new WriteCompleted(id, ErrorCode.CoordinatorNotAvailable));
        }
    }

    private void CompleteWrite(WriteCompleted written)
    {
        if (_pendingWrites.Remove(written.Id, out var then))
        {
            then(MapWriteError(written.Error));
        }
    }

    /// <summary>As Kafka's coordinator maps append errors for its clients.</summary>
    private static ErrorCode MapWriteError(ErrorCode error) => error switch
    {
        ErrorCode.None => ErrorCode.None,
        ErrorCode.UnknownTopicOrPartition or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend
            or ErrorCode.RequestTimedOut => ErrorCode.CoordinatorNotAvailable,
        ErrorCode.NotLeaderOrFollower or ErrorCode.KafkaStorageError => ErrorCode.NotCoordinator,
        ErrorCode.MessageTooLarge or ErrorCode.RecordListTooLarge or ErrorCode.InvalidFetchSize => ErrorCode.InvalidCommitOffsetSize,
        _ => ErrorCode.UnknownServerError,
    };

    private sealed record WriteCompleted(long Id, ErrorCode Error);

    private sealed record StopShard
    {
        public static readonly StopShard Instance = new();
    }
}
