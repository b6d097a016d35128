using Broker.Actors.Group.Consumer;
using Broker.Actors.Kernel;
using Broker.Protocol.Messages;

namespace Broker.Actors.Group;

/// <summary>Limits the coordinator enforces, from the broker's group.* and offsets.* settings.</summary>
public sealed record GroupCoordinatorSettings(int MinSessionTimeoutMs, int MaxSessionTimeoutMs, long InitialRebalanceDelayMs, int MaxGroupSize, int OffsetsTopicPartitions)
{
    /// <summary>offsets.retention.minutes (default 7 days), in ms.</summary>
    public long OffsetsRetentionMs { get; init; } = 7L * 24 * 60 * 60 * 1000;

    /// <summary>offsets.retention.check.interval.ms (default 10 minutes).</summary>
    public long OffsetsRetentionCheckIntervalMs { get; init; } = 600_000;

    /// <summary>offsets.commit.timeout.ms (default 5 s): how long a write waits for the ISR.</summary>
    public long OffsetsCommitTimeoutMs { get; init; } = 5_000;

    /// <summary>How long an unloaded shard keeps answering NOT_COORDINATOR before it stops.</summary>
    public TimeSpan UnloadGracePeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The KIP-848 consumer groups' settings (group.consumer.*).</summary>
    public ConsumerGroupConfig Consumer { get; init; } = ConsumerGroupConfig.Default;
}

/// <summary>
/// The node's group coordinator as Kafka shards it: one <see cref="GroupCoordinatorShard"/> actor per
/// __consumer_offsets partition this node leads, each owning the groups that hash to its partition.
/// This class is the shard region: it routes a request to its group's shard, and is told when a
/// partition's shard must start (<see cref="Load"/>, this node became the partition's leader) or stop
/// (<see cref="Unload"/>). Requests for a partition not loaded here get NOT_COORDINATOR.
/// </summary>
public sealed class GroupCoordinator
{
    private readonly ActorSystem _system;
    private readonly ActorRef?[] _shards;

    /// <summary>Per partition: its shard is still replaying (set on load, cleared when the shard answers that it loaded).</summary>
    private readonly bool[] _loading;

    /// <summary>Per partition: the newest leader epoch a load or unload carried (older commands are stale), and the epoch its shard was loaded in.</summary>
    private readonly int[] _epochs;
    private readonly int[] _shardEpochs;
    private readonly object _lock = new();
    private int _incarnation;

    public GroupCoordinator(ActorSystem system, GroupCoordinatorSettings settings, int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitions);
        _system = system;
        Settings = settings;
        _shards = new ActorRef?[partitions];
        _loading = new bool[partitions];
        _epochs = new int[partitions];
        _shardEpochs = new int[partitions];
        Array.Fill(_epochs, -1);
    }

    public GroupCoordinatorSettings Settings { get; }

    /// <summary>The topics the KIP-848 assignors see: the current metadata image (called on the shards' threads).</summary>
    public Func<IConsumerGroupTopics>? Topics { get; init; }

    /// <summary>Partitions of __consumer_offsets (the topic's actual count, which decides where groups live).</summary>
    public int Partitions => _shards.Length;

    /// <summary>The __consumer_offsets partition that owns a group: abs(String.hashCode) % partitions, as Kafka.</summary>
    public static int PartitionFor(string groupId, int partitions)
    {
        var h = 0;
        foreach (var c in groupId)
        {
            h = unchecked((31 * h) + c);
        }
        // Kafka's Utils.abs: Integer.MIN_VALUE maps to 0 rather than staying negative.
        return (h == int.MinValue ? 0 : Math.Abs(h)) % partitions;
    }

    public bool IsLoaded(int partition) => Volatile.Read(ref _shards[partition]) is not null;

    /// <summary>The leader epoch the partition's shard was loaded in, or -1 when it is not loaded here.</summary>
    public int LoadedEpoch(int partition)
    {
        lock (_lock)
        {
            return _shards[partition] is null ? -1 : _shardEpochs[partition];
        }
    }

    /// <summary>
    /// This node became the leader of <paramref name="log"/>'s partition in <paramref name="leaderEpoch"/> (Kafka's onElection):
    /// starts its shard, which replays the partition before its first request. Ignored when a newer epoch was seen;
    /// a shard of an older epoch is replaced (the log may have changed since).
    /// </summary>
    public void Load(IOffsetsPartitionLog log, int leaderEpoch = 0)
    {
        ActorRef? replaced;
        lock (_lock)
        {
            var p = log.Partition;
            if (leaderEpoch < _epochs[p] || (_shards[p] is not null && _shardEpochs[p] >= leaderEpoch))
            {
                return;
            }
            _epochs[p] = leaderEpoch;
            replaced = _shards[p];
            var shard = _system.ActorOf(GroupCoordinatorShard.Props(log, Settings, Topics),
                $"group-coordinator-{p}-{++_incarnation}");
            _shardEpochs[p] = leaderEpoch;
            Volatile.Write(ref _loading[p], true);
            Volatile.Write(ref _shards[p], shard);
            // The shard answers once it replayed its partition (the question waits behind the load in its mailbox).
            _ = shard.Ask(ShardLoaded.Instance, TimeSpan.FromMinutes(10)).ContinueWith(_ => MarkLoaded(p, shard), TaskScheduler.Default);
        }
        replaced?.Tell(UnloadShard.Instance);
    }

    private void MarkLoaded(int partition, ActorRef shard)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_shards[partition], shard))
            {
                Volatile.Write(ref _loading[partition], false);
            }
        }
    }

    /// <summary>
    /// This node stopped leading the partition (Kafka's onResignation: a follower in <paramref name="leaderEpoch"/>, or the
    /// replica is gone when null): new requests get NOT_COORDINATOR at once and the shard answers its waiters so. As
    /// Kafka's scheduleUnloadOperation, only a shard loaded in an older epoch is unloaded.
    /// </summary>
    public void Unload(int partition, int? leaderEpoch = null)
    {
        ActorRef? shard;
        lock (_lock)
        {
            shard = _shards[partition];
            if (leaderEpoch is { } epoch)
            {
                if (epoch < _epochs[partition] || (shard is not null && _shardEpochs[partition] >= epoch))
                {
                    return;
                }
                _epochs[partition] = epoch;
            }
            Volatile.Write(ref _shards[partition], null);
        }
        shard?.Tell(UnloadShard.Instance);
    }

    /// <summary>The shard of a group, or null when its partition is not loaded here.</summary>
    public ActorRef? ShardFor(string groupId) => Volatile.Read(ref _shards[PartitionFor(groupId, _shards.Length)]);

    /// <summary>Routes a request to its group's shard; answers NOT_COORDINATOR when this node does not coordinate it.</summary>
    public void Send(GroupRequest request)
    {
        var partition = PartitionFor(request.GroupId, _shards.Length);
        if (Volatile.Read(ref _shards[partition]) is { } shard)
        {
            if (request.AnswersLoadInProgress && Volatile.Read(ref _loading[partition]))
            {
                request.Fail(ErrorCode.CoordinatorLoadInProgress);
                return;
            }
            shard.Tell(request);
        }
        else
        {
            request.Fail(ErrorCode.NotCoordinator);
        }
    }

    /// <summary>Completes once every loaded shard has replayed its partition (each answers after its load).</summary>
    public async Task WhenLoadedAsync(TimeSpan timeout)
    {
        var waits = new List<(int Partition, ActorRef Shard, Task Loaded)>();
        for (var p = 0; p < _shards.Length; p++)
        {
            if (Volatile.Read(ref _shards[p]) is { } s)
            {
                waits.Add((p, s, s.Ask(ShardLoaded.Instance, timeout)));
            }
        }
        await Task.WhenAll(waits.Select(w => w.Loaded)).ConfigureAwait(false);
        foreach (var (partition, shard, _) in waits)
        {
            MarkLoaded(partition, shard);
        }
    }

    /// <summary>Asks every loaded shard and combines their groups.</summary>
    public Task<IReadOnlyList<ListedGroup>> ListGroupsAsync(IReadOnlyCollection<string> states, IReadOnlyCollection<string> types)
    {
        var shards = new List<ActorRef>();
        for (var p = 0; p < _shards.Length; p++)
        {
            if (Volatile.Read(ref _shards[p]) is { } s)
            {
                shards.Add(s);
            }
        }
        if (shards.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<ListedGroup>>([]);
        }
        var completion = new TaskCompletionSource<IReadOnlyList<ListedGroup>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var all = new List<ListedGroup>();
        var remaining = shards.Count;
        foreach (var shard in shards)
        {
            shard.Tell(new ListGroups(states, types, result =>
            {
                lock (all)
                {
                    all.AddRange(result.Groups);
                    if (--remaining == 0)
                    {
                        completion.TrySetResult(all);
                    }
                }
            }));
        }
        return completion.Task;
    }
}
