using Broker.Actors.Storage;
using Broker.Protocol.Messages;
using Broker.Protocol.Records;

namespace Broker.Actors.Metadata;

/// <summary>
/// The <c>__cluster_metadata</c> log: metadata records, framed as KRaft frames them, in ordinary
/// record batches. Every append is one batch (a command's records commit together) and is fsynced
/// before it counts: a one-voter quorum's high watermark is its flushed log end.
/// </summary>
public sealed class MetadataLog : IDisposable
{
    public const string TopicName = "__cluster_metadata";
    private readonly Log _log;

    private MetadataLog(Log log) => _log = log;

    public long EndOffset => _log.LogEndOffset;

    public static MetadataLog Open(string metadataLogDir)
    {
        var config = LogConfig.Default with { FlushMessages = 1, RetentionMs = -1, RetentionBytes = -1 };
        return new MetadataLog(Log.Open(Path.Combine(metadataLogDir, TopicName + "-0"), config));
    }

    /// <summary>Appends the records as one batch (fsynced); returns the offset of the last one.</summary>
    public long Append(IReadOnlyList<IKafkaMessage> records, int leaderEpoch = 0)
    {
        using var builder = new RecordBatchBuilder();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var record in records)
        {
            builder.Append(now, null, MetadataRecordSerde.Serialize(record));
        }
        var batch = builder.ToArray();
        var info = _log.Append(batch, AppendOrigin.Coordinator, leaderEpoch);
        if (!info.IsSuccess)
        {
            throw new IOException($"metadata log append failed with error {info.ErrorCode}");
        }
        _log.Flush();
        _log.UpdateHighWatermark(_log.LogEndOffset);
        return info.LastOffset;
    }

    /// <summary>Replays every record from the start of the log, in order.</summary>
    public void Replay(Action<long, IKafkaMessage> apply) =>
        ReplayBatches((lastOffset, _, records) =>
        {
            var offset = lastOffset - records.Count + 1;
            foreach (var record in records)
            {
                apply(offset++, record);
            }
        });

    /// <summary>Replays the log batch by batch (a batch is one committed command): its last offset, the
    /// leader epoch it was appended in, and its records.</summary>
    public void ReplayBatches(Action<long, int, IReadOnlyList<IKafkaMessage>> apply)
    {
        var offset = _log.LogStartOffset;
        var end = _log.LogEndOffset;
        using var scratch = new PooledBufferWriter();
        while (offset < end)
        {
            using var read = _log.Read(offset, 1024 * 1024, end);
            if (read.ErrorCode != 0 || read.Length == 0)
            {
                break;
            }
            var bytes = read.Records.Span;
            while (RecordBatch.TryRead(bytes, out var batch, out var size))
            {
                var records = new List<IKafkaMessage>();
                foreach (var record in batch.GetRecords(scratch))
                {
                    if (!record.ValueIsNull)
                    {
                        records.Add(MetadataRecordSerde.Deserialize(record.Value.ToArray()));
                    }
                }
                apply(batch.LastOffset, batch.PartitionLeaderEpoch, records);
                offset = batch.NextOffset;
                bytes = bytes.Slice(size);
            }
        }
    }

    public void Dispose() => _log.Close();
}
