using Broker.Actors.Partition;
using Broker.Actors.Storage;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Actors.Group;

/// <summary>
/// Waits until the partition's high watermark covers <c>requiredOffset</c> while the replica still leads in
/// <c>leaderEpoch</c>, then calls back with NONE, NOT_LEADER_OR_FOLLOWER (leadership moved), or
/// REQUEST_TIMED_OUT (Kafka's DelayedProduce; the host's produce purgatory).
/// </summary>
public delegate void AwaitReplication(PartitionHandle handle, int leaderEpoch, long requiredOffset, Action<ErrorCode> completed);

/// <summary>
/// A local __consumer_offsets replica as the shard of leader epoch <paramref name="leaderEpoch"/> sees it: reads
/// through the published snapshot, writes through the partition actor as acks=all (Kafka's coordinator appends
/// with offsets.commit.required.acks = -1): a completion means the ISR has the records (the high watermark covers
/// them), or the error a client should see. A write answered after the replica lost the leadership of that
/// epoch fails with NOT_LEADER_OR_FOLLOWER, which the shard maps to NOT_COORDINATOR.
/// </summary>
/// <param name="awaitReplication">How to wait for the high watermark; null answers on the local append (tests).</param>
public sealed class PartitionOffsetsLog(PartitionHandle handle, int leaderEpoch = -1, AwaitReplication? awaitReplication = null) : IOffsetsPartitionLog
{
    public int Partition => handle.TopicPartition.Partition;

    /// <summary>The leader epoch this view writes in (-1: whatever the replica's current one).</summary>
    public int LeaderEpoch => leaderEpoch;

    public void Replay(OffsetsRecordVisitor visitor)
    {
        var log = handle.Log ?? throw new InvalidOperationException($"{handle.TopicPartition} is not open");
        using var scratch = new PooledBufferWriter();
        var offset = log.LogStartOffset;
        // Up to the log end, as Kafka's coordinator loader: a leader's own log is what its followers
        // converge to, so records above the high watermark become committed as they catch up.
        var end = handle.State.IsLeader ? log.LogEndOffset : log.HighWatermark;
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
                    // Replay runs once per load; the decoded records keep their own copies.
                    visitor(record.Key.ToArray(), record.ValueIsNull ? null : (ReadOnlyMemory<byte>?)record.Value.ToArray(), batch.TimestampOf(record));
                }
            }
            if (position == 0)
            {
                break;
            }
        }
    }

    public void Append(byte[] batch, Action<ErrorCode> completed) =>
        handle.Actor.Tell(new AppendToLog(batch, -1, new Completion(handle, leaderEpoch, awaitReplication, completed), 0));

    /// <summary>Runs on the partition actor, so the state read here is the one the append ran under.</summary>
    private sealed class Completion(PartitionHandle handle, int leaderEpoch, AwaitReplication? awaitReplication, Action<ErrorCode> completed) : IAppendCallback
    {
        public void OnAppended(int slot, in LogAppendInfo info)
        {
            if (!info.IsSuccess)
            {
                completed(info.ErrorCode);
                return;
            }
            var state = handle.State;
            if (!state.IsLeader || (leaderEpoch >= 0 && state.LeaderEpoch != leaderEpoch))
            {
                completed(ErrorCode.NotLeaderOrFollower);
                return;
            }
            if (awaitReplication is null)
            {
                completed(ErrorCode.None);
                return;
            }
            awaitReplication(handle, state.LeaderEpoch, info.LastOffset + 1, completed);
        }
    }
}
