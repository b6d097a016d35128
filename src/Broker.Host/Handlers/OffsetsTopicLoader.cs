using Broker.Actors.Configs;
using Broker.Actors.Group;
using Broker.Actors.Group.Consumer;
using Broker.Actors.Metadata;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// Brings up the group coordinator on first use: creates __consumer_offsets (compacted, Kafka's
/// record formats) if missing, waits for its local replicas, and loads one coordinator shard per
/// partition (each replays its partition). A single node leads every partition; once the cluster
/// exists, <see cref="GroupCoordinator.Load"/> / <see cref="GroupCoordinator.Unload"/> follow leadership instead.
/// </summary>
internal sealed class OffsetsTopicLoader(BrokerNode node, GroupCoordinatorSettings settings)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private readonly object _lock = new();
    private Task<GroupCoordinator>? _ready;

    /// <summary>The coordinator once loaded; null before.</summary>
    public GroupCoordinator? Coordinator => _ready is { IsCompletedSuccessfully: true } t ? t.Result : null;

    /// <summary>Completes once every partition's shard was started; a failure is retried on the next call.</summary>
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

    private async Task<GroupCoordinator> LoadAsync()
    {
        if (node.Metadata.Current.Topic(OffsetsTopicRecords.TopicName) is null)
        {
            var configs = new Dictionary<string, string?> { ["cleanup.policy"] = "compact" };
            var results = await node.Controller.CreateTopicsAsync(
                [new NewTopic(OffsetsTopicRecords.TopicName, settings.OffsetsTopicPartitions, 1, configs)], false).ConfigureAwait(false);
            var error = (ErrorCode)results[0].ErrorCode;
            if (error is not ErrorCode.None and not ErrorCode.TopicAlreadyExists)
            {
                throw new InvalidOperationException($"creating {OffsetsTopicRecords.TopicName} failed: {error}");
            }
        }
        var deadline = DateTime.UtcNow + ReadyTimeout;
        // The topic's own partition count decides where groups live, whatever the setting says now.
        var count = node.Metadata.Current.Topic(OffsetsTopicRecords.TopicName)?.Partitions.Length ?? settings.OffsetsTopicPartitions;
        var coordinator = new GroupCoordinator(node.System, settings, count) { Topics = () => new MetadataImageTopics(node.Metadata.Current) };
        for (var p = 0; p < count; p++)
        {
            Broker.Actors.Partition.PartitionHandle? handle;
            while ((handle = node.Replicas.Get(OffsetsTopicRecords.TopicName, p)) is not { Log: not null })
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{OffsetsTopicRecords.TopicName}-{p} did not come up");
                }
                await Task.Delay(20).ConfigureAwait(false);
            }
            coordinator.Load(new PartitionOffsetsLog(handle));
        }
        // Ready means replayed: every shard went through its partition (classic and KIP-848 groups, offsets).
        await coordinator.WhenLoadedAsync(ReadyTimeout).ConfigureAwait(false);
        return coordinator;
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
