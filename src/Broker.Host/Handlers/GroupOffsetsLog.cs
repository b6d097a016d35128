using Broker.Actors.Group;
using Broker.Actors.Metadata;
using Broker.Actors.Partition;
using Broker.Actors.Storage;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Host.Handlers;

/// <summary>
/// Committed offsets kept in __consumer_offsets with Kafka's record formats: the topic is created on
/// first use, replayed once into the coordinator (latest value wins, a tombstone deletes), and every
/// commit is appended to the group's partition before it is answered.
/// </summary>
internal sealed class GroupOffsetsLog(BrokerNode node, GroupCoordinator coordinator, int partitions)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private readonly object _lock = new();
    private Task? _ready;

    /// <summary>Receives the records that are not offset commits (the KIP-848 group records) during the replay.</summary>
    public Action<byte[], byte[]?>? OtherRecord { get; init; }

    /// <summary>Completes once the topic exists here and its partitions were replayed; a failure is retried on the next call.</summary>
    public Task EnsureReadyAsync()
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

    private async Task LoadAsync()
    {
        if (node.Metadata.Current.Topic(OffsetsTopicRecords.TopicName) is null)
        {
            var configs = new Dictionary<string, string?> { ["cleanup.policy"] = "compact" };
            var results = await node.Controller.CreateTopicsAsync([new NewTopic(OffsetsTopicRecords.TopicName, partitions, 1, configs)], false).ConfigureAwait(false);
            var error = (ErrorCode)results[0].ErrorCode;
            if (error is not ErrorCode.None and not ErrorCode.TopicAlreadyExists)
            {
                throw new InvalidOperationException($"creating {OffsetsTopicRecords.TopicName} failed: {error}");
            }
        }
        var deadline = DateTime.UtcNow + ReadyTimeout;
        var count = node.Metadata.Current.Topic(OffsetsTopicRecords.TopicName)?.Partitions.Length ?? partitions;
        for (var p = 0; p < count; p++)
        {
            Log? log;
            while ((log = node.Replicas.Get(OffsetsTopicRecords.TopicName, p)?.Log) is null)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{OffsetsTopicRecords.TopicName}-{p} did not come up");
                }
                await Task.Delay(20).ConfigureAwait(false);
            }
            Replay(log);
        }
    }

    private void Replay(Log log)
    {
        using var scratch = new PooledBufferWriter();
        var offset = log.LogStartOffset;
        var end = log.HighWatermark;
        while (offset < end)
        {
            using var read = log.Read(offset, 1 << 20, end);
            var bytes = read.Records;
            if (bytes.IsEmpty)
            {
                break;
            }
            var position = 0;
            while (bytes.Length - position >= RecordBatch.LogOverhead)
            {
                var batch = new RecordBatch(bytes.Span.Slice(position));
                var size = batch.TotalSize;
                if (size > bytes.Length - position)
                {
                    break;
                }
                batch = new RecordBatch(bytes.Span.Slice(position, size));
                position += size;
                offset = batch.BaseOffset + batch.LastOffsetDelta + 1;
                if (batch.IsControl)
                {
                    continue;
                }
                foreach (var record in batch.GetRecords(scratch))
                {
                    if (record.KeyIsNull)
                    {
                        continue;
                    }
                    var keyBytes = record.Key.ToArray();
                    var key = OffsetsTopicRecords.ReadOffsetCommitKey(keyBytes);
                    if (key is null)
                    {
                        // Classic group metadata is rebuilt by members rejoining; KIP-848 groups replay their records.
                        OtherRecord?.Invoke(keyBytes, record.ValueIsNull ? null : record.Value.ToArray());
                        continue;
                    }
                    CommittedOffset? value = null;
                    if (!record.ValueIsNull)
                    {
                        var v = OffsetsTopicRecords.ReadOffsetCommitValue(record.Value.ToArray());
                        value = new CommittedOffset(v.offset, v.leaderEpoch, v.metadata, v.commitTimestamp);
                    }
                    coordinator.LoadOffset(key.group, key.topic, key.partition, value);
                }
            }
            if (position == 0)
            {
                break;
            }
        }
    }

    /// <summary>Appends offset records (a null offset is a tombstone) to the group's partition; the error the commit answers with.</summary>
    public async Task<ErrorCode> AppendAsync(string groupId, IReadOnlyList<(string Topic, int Partition, CommittedOffset? Offset)> offsets)
    {
        try
        {
            await EnsureReadyAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            return ErrorCode.CoordinatorNotAvailable;
        }
        return await StartAppend(groupId, offsets.Select(o => (
            OffsetsTopicRecords.OffsetCommitKeyBytes(groupId, o.Topic, o.Partition),
            o.Offset is { } v ? OffsetsTopicRecords.OffsetCommitValueBytes(v) : null)).ToList()).ConfigureAwait(false);
    }

    /// <summary>
    /// Hands records (a null value is a tombstone) to the group's partition at once, so callers that call this in
    /// order under their own lock get them appended in that order; the task completes with the append's error.
    /// Call only after <see cref="EnsureReadyAsync"/> completed.
    /// </summary>
    public Task<ErrorCode> StartAppend(string groupId, IReadOnlyList<(byte[] Key, byte[]? Value)> records)
    {
        var count = node.Metadata.Current.Topic(OffsetsTopicRecords.TopicName)?.Partitions.Length ?? partitions;
        var handle = node.Replicas.Get(OffsetsTopicRecords.TopicName, GroupCoordinator.PartitionFor(groupId, count));
        if (handle is null)
        {
            return Task.FromResult(ErrorCode.CoordinatorNotAvailable);
        }
        byte[] batch;
        using (var builder = new RecordBatchBuilder(CompressionType.None, 1024))
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var (key, value) in records)
            {
                builder.Append(now, key, value);
            }
            batch = builder.ToArray();
        }
        var callback = new AppendCompletion();
        handle.Actor.Tell(new AppendToLog(batch, -1, callback, 0));
        return WaitAsync(callback);
    }

    private static async Task<ErrorCode> WaitAsync(AppendCompletion callback)
    {
        var finished = await Task.WhenAny(callback.Task, Task.Delay(ReadyTimeout)).ConfigureAwait(false);
        if (finished != callback.Task)
        {
            return ErrorCode.RequestTimedOut;
        }
        var error = await callback.Task.ConfigureAwait(false);
        return error == ErrorCode.None ? ErrorCode.None : ErrorCode.CoordinatorNotAvailable;
    }

    private sealed class AppendCompletion : IAppendCallback
    {
        private readonly TaskCompletionSource<ErrorCode> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<ErrorCode> Task => _completion.Task;

        public void OnAppended(int slot, in LogAppendInfo info) => _completion.TrySetResult(info.ErrorCode);
    }
}
