using Broker.Actors.Configs;
using Broker.Actors.Group;
using Broker.Actors.Group.Consumer;
using Broker.Actors.Metadata;
using Broker.Actors.Partition;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// Brings up the group coordinator on first use and keeps it following leadership: creates __consumer_offsets
/// (compacted, Kafka's record formats, offsets.topic.replication.factor replicas; the creation fails, and clients
/// get COORDINATOR_NOT_AVAILABLE, while fewer brokers are alive) if missing, then loads the shard of every
/// partition this node leads and, as Kafka's onElection / onResignation, loads or unloads one whenever its local
/// replica becomes leader or stops leading (with the leader epoch, so a stale command loses to a newer one).
/// </summary>
internal sealed class OffsetsTopicLoader(BrokerNode node, GroupCoordinatorSettings settings)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private readonly object _lock = new();
    private Task<GroupCoordinator>? _ready;
    private Task<int>? _topic;

    /// <summary>The coordinator once loaded; null before.</summary>
    public GroupCoordinator? Coordinator => _ready is { IsCompletedSuccessfully: true } t ? t.Result : null;

    /// <summary>Completes once the shards of the partitions led here were started and replayed; a failure is retried on the next call.</summary>
    public Task<GroupCoordinator> EnsureReadyAsync()
    {
        lock (_lock)
        {
            if (_ready is null || _ready.IsFaulted || _ready.IsCanceled)
            {
                _ready = LoadAsync();
            }
            return _ready;
        }
    }

    /// <summary>Completes with the topic's partition count once __consumer_offsets exists (created here if missing).</summary>
    public Task<int> EnsureTopicAsync()
    {
        lock (_lock)
        {
            if (_topic is null || _topic.IsFaulted || _topic.IsCanceled)
            {
                _topic = CreateTopicAsync();
            }
            return _topic;
        }
    }

    private async Task<int> CreateTopicAsync()
    {
        if (node.Metadata.Current.Topic(OffsetsTopicRecords.TopicName) is null)
        {
            var configs = new Dictionary<string, string?> { ["cleanup.policy"] = "compact" };
            var rf = (short)Number(node, BrokerConfigs.OffsetsTopicReplicationFactor);
            // A FindCoordinator right after the start must not make the creation fail for want of an unfenced broker.
            await node.WaitUntilTopicsCanBeCreatedAsync(ReadyTimeout).ConfigureAwait(false);
            var results = await node.Controller.CreateTopicsAsync(
                [new NewTopic(OffsetsTopicRecords.TopicName, settings.OffsetsTopicPartitions, rf, configs)], false).ConfigureAwait(false);
            var error = (ErrorCode)results[0].ErrorCode;
            if (error is not ErrorCode.None and not ErrorCode.TopicAlreadyExists)
            {
                throw new InvalidOperationException($"creating {OffsetsTopicRecords.TopicName} failed: {error} {results[0].ErrorMessage}");
            }
        }
        var deadline = DateTime.UtcNow + ReadyTimeout;
        TopicImage? topic;
        // Metadata reaches this node asynchronously when another node's controller created the topic.
        while ((topic = node.Metadata.Current.Topic(OffsetsTopicRecords.TopicName)) is null)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{OffsetsTopicRecords.TopicName} did not appear in the metadata");
            }
            await Task.Delay(20).ConfigureAwait(false);
        }
        // The topic's own partition count decides where groups live, whatever the setting says now.
        return topic.Partitions.Length;
    }

    private async Task<GroupCoordinator> LoadAsync()
    {
        var count = await EnsureTopicAsync().ConfigureAwait(false);
        var coordinator = new GroupCoordinator(node.System, settings, count) { Topics = () => new MetadataImageTopics(node.Metadata.Current) };
        // Subscribe first, then look at the replicas as they are: an event that races the scan carries the same
        // or a newer epoch, and the coordinator ignores the older of two commands.
        node.Replicas.LeadershipChanged += h => OnLeadershipChanged(coordinator, h);
        foreach (var handle in node.Replicas.Partitions)
        {
            OnLeadershipChanged(coordinator, handle);
        }
        // Ready means replayed: wait (bounded) for the partitions the image says this node leads, so the first
        // request after startup is served rather than told to retry.
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (DateTime.UtcNow < deadline && !LeadsAllItShould(coordinator, count))
        {
            await Task.Delay(20).ConfigureAwait(false);
        }
        await ((Task)coordinator.WhenLoadedAsync(ReadyTimeout)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return coordinator;
    }

    private bool LeadsAllItShould(GroupCoordinator coordinator, int count)
    {
        if (node.Metadata.Current.Topic(OffsetsTopicRecords.TopicName) is not { } topic)
        {
            return true;
        }
        for (var p = 0; p < count && p < topic.Partitions.Length; p++)
        {
            if (topic.Partitions[p].Leader == node.Settings.NodeId && !coordinator.IsLoaded(p))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Kafka's onElection / onResignation for one local __consumer_offsets replica (runs on its partition actor).</summary>
    private void OnLeadershipChanged(GroupCoordinator coordinator, PartitionHandle handle)
    {
        var tp = handle.TopicPartition;
        if (tp.Topic != OffsetsTopicRecords.TopicName || tp.Partition >= coordinator.Partitions)
        {
            return;
        }
        var state = handle.State;
        if (!ReferenceEquals(node.Replicas.Get(tp.Topic, tp.Partition), handle))
        {
            coordinator.Unload(tp.Partition); // the replica is gone
        }
        else if (state.IsLeader && state.LeaderId == node.Settings.NodeId && handle.Log is not null)
        {
            coordinator.Load(new PartitionOffsetsLog(handle, state.LeaderEpoch, AwaitReplication), state.LeaderEpoch);
        }
        else if (state.LeaderId != -1 || !state.IsLeader)
        {
            coordinator.Unload(tp.Partition, state.LeaderEpoch);
        }
    }

    /// <summary>offsets.commit.required.acks = -1: a coordinator write is answered once the ISR has it.</summary>
    private void AwaitReplication(PartitionHandle handle, int leaderEpoch, long requiredOffset, Action<ErrorCode> completed)
    {
        if (ProducePurgatory.Check(handle, leaderEpoch, requiredOffset) is { } error)
        {
            completed(error);
            return;
        }
        node.ProducePurgatory.Wait(handle, leaderEpoch, requiredOffset, TimeSpan.FromMilliseconds(settings.OffsetsCommitTimeoutMs), completed);
    }

    public static GroupCoordinatorSettings SettingsOf(BrokerNode node) =>
        new((int)Number(node, BrokerConfigs.GroupMinSessionTimeoutMs),
            (int)Number(node, BrokerConfigs.GroupMaxSessionTimeoutMs),
            Number(node, BrokerConfigs.GroupInitialRebalanceDelayMs),
            (int)Number(node, BrokerConfigs.GroupMaxSize),
            (int)Number(node, BrokerConfigs.OffsetsTopicNumPartitions))
        {
            OffsetsRetentionMs = Number(node, BrokerConfigs.OffsetsRetentionMinutes) * 60_000,
            OffsetsRetentionCheckIntervalMs = Number(node, BrokerConfigs.OffsetsRetentionCheckIntervalMs),
            OffsetsCommitTimeoutMs = Number(node, BrokerConfigs.OffsetsCommitTimeoutMs),
            Consumer = ConsumerConfig(node),
        };

    private static ConsumerGroupConfig ConsumerConfig(BrokerNode node)
    {
        var assignors = node.Settings.Values.GetList(BrokerConfigs.GroupConsumerAssignors)
            .Select(n => PartitionAssignors.ByName(n) ?? throw new InvalidOperationException($"unknown assignor {n}")).ToList();
        return new ConsumerGroupConfig(
            (int)Number(node, BrokerConfigs.GroupConsumerSessionTimeoutMs),
            (int)Number(node, BrokerConfigs.GroupConsumerHeartbeatIntervalMs),
            (int)Number(node, BrokerConfigs.GroupConsumerMaxSize),
            assignors);
    }

    // Durations are longs, counts ints: read either without caring which.
    private static long Number(BrokerNode node, string key) =>
        Convert.ToInt64(node.Settings.Values[key], System.Globalization.CultureInfo.InvariantCulture);
}
