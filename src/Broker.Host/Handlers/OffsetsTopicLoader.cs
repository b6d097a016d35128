using Broker.Actors.Configs;
using Broker.Actors.Group;
using Broker.Actors.Metadata;
using Broker.Protocol.Messages;

namespace Broker.Host.Handlers;

/// <summary>
/// Brings up the group coordinator on first use: creates __consumer_offsets (compacted, Kafka's
/// record formats) if missing, waits for its local replicas, and loads one coordinator shard per
/// partition (each replays its partition). A single node leads every partition; once the cluster
/// exists, <see cref="GroupCoordinator.Load"/> / <see cref="GroupCoordinator.Unload"/> follow leadership instead.
/// </summary>
internal sealed class OffsetsTopicLoader(BrokerNode node, GroupCoordinatorSettings settings, Action<byte[], byte[]?>? replayOtherRecord = null)
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
        var coordinator = new GroupCoordinator(node.System, settings, count) { ReplayOtherRecord = replayOtherRecord };
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
        // Ready means replayed: the KIP-848 groups are complete once every shard went through its partition.
        await coordinator.WhenLoadedAsync(ReadyTimeout).ConfigureAwait(false);
        return coordinator;
    }

    /// <summary>
    /// Hands records (a null value is a tombstone) to the group's partition at once, so callers that call this in
    /// order under their own lock get them appended in that order; the task completes with the append's error.
    /// For the KIP-848 groups, which write beside the classic shards. Call only after <see cref="EnsureReadyAsync"/>.
    /// </summary>
    public Task<ErrorCode> StartAppend(string groupId, IReadOnlyList<(byte[] Key, byte[]? Value)> records)
    {
        var count = node.Metadata.Current.Topic(OffsetsTopicRecords.TopicName)?.Partitions.Length ?? settings.OffsetsTopicPartitions;
        var handle = node.Replicas.Get(OffsetsTopicRecords.TopicName, GroupCoordinator.PartitionFor(groupId, count));
        if (handle is null)
        {
            return Task.FromResult(ErrorCode.CoordinatorNotAvailable);
        }
        byte[] batch;
        using (var builder = new Broker.Protocol.Records.RecordBatchBuilder(Broker.Protocol.Records.CompressionType.None, 1024))
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var (key, value) in records)
            {
                builder.Append(now, key, value);
            }
            batch = builder.ToArray();
        }
        var completion = new TaskCompletionSource<ErrorCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        new PartitionOffsetsLog(handle).Append(batch, error => completion.TrySetResult(error == ErrorCode.None ? ErrorCode.None : ErrorCode.CoordinatorNotAvailable));
        return completion.Task.WaitAsync(ReadyTimeout).ContinueWith(
            t => t.IsCompletedSuccessfully ? t.Result : ErrorCode.RequestTimedOut, TaskScheduler.Default);
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
        };

    // Durations are longs, counts ints: read either without caring which.
    private static long Number(BrokerNode node, string key) =>
        Convert.ToInt64(node.Settings.Values[key], System.Globalization.CultureInfo.InvariantCulture);
}
