using Broker.Actors.Partition;
using Broker.Actors.Storage;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Actors.Group;

/// <summary>
/// A local __consumer_offsets replica as a shard's log: reads through the published snapshot,
/// writes through the partition actor (acks=-1, so a completion means the records are committed).
/// </summary>
public sealed class PartitionOffsetsLog(PartitionHandle handle) : IOffsetsPartitionLog
{
    public int Partition => handle.TopicPartition.Partition;

    public void Replay(OffsetsRecordVisitor visitor)
    {
        var log = handle.Log ?? throw new InvalidOperationException($"{handle.TopicPartition} is not open");
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
        handle.Actor.Tell(new AppendToLog(batch, -1, new Completion(completed), 0));

    private sealed class Completion(Action<ErrorCode> completed) : IAppendCallback
    {
        public void OnAppended(int slot, in LogAppendInfo info) => completed(info.ErrorCode);
    }
}
